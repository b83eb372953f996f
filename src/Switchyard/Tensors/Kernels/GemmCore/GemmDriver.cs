using System.Runtime.CompilerServices;

namespace Switchyard.Tensors.Kernels.GemmCore;

/// <summary>
/// The blocked, packed GEMM (GotoBLAS/BLIS loop nest) and its static partition over threads.
/// <para>
/// Loops, outermost first: NC columns (B block in L3) → KC depth (pack B) → MC rows (pack A,
/// kept in L2) → NR columns (B micro-panel in L1) → MR rows → micro-kernel. The depth K is
/// never split between threads and the KC blocking depends on K alone, so every element of C
/// is the same sequence of FMAs whatever the thread count: results are bit-identical for ANY
/// number of threads (for a fixed SIMD width).
/// </para>
/// <para>
/// Partition: work units are (problem, NR-column stripe, MR-row tile), ordered problem-major,
/// each weighted by its FLOPs. Part p takes the units whose cost midpoint falls in
/// [p·T/parts, (p+1)·T/parts): equal static chunks of the total work, so uneven groups
/// still balance, and neighbouring units (which share packed B) mostly stay on one thread.
/// </para>
/// </summary>
internal static unsafe class GemmDriver
{
    // Below ~2M multiply-adds per part a thread hand-off costs more than it saves.
    const long MinWorkPerPart = 1L << 21;

    [ThreadStatic] static Job? _job;

    sealed class Job : IParallelJob
    {
        public GemmBatch Batch;
        public SimdWidth Width;
        public void Execute(int part, int parts) => RunPart(in Batch, Width, part, parts);
    }

    /// <summary>Computes every problem of <paramref name="batch"/>, split into at most <paramref name="threads"/> parts.</summary>
    public static void Run(in GemmBatch batch, SimdWidth width, int threads)
    {
        long work = 0;
        for (int g = 0; g < batch.Count; g++)
        {
            GemmProblem p = batch.Problem(g);
            if (p.M == 0 || p.N == 0) continue;
            if (p.K == 0) ScaleC(in p);
            work += (long)p.M * p.N * p.K;
        }
        if (work == 0) return;
        int parts = (int)Math.Clamp(work / MinWorkPerPart, 1, Math.Max(1, threads));
        if (parts == 1)
        {
            RunPart(in batch, width, 0, 1);
            return;
        }
        var job = _job ??= new Job();
        job.Batch = batch;
        job.Width = width;
        try { ParallelRunner.Run(job, parts); }
        finally { job.Batch = default; } // drop pointers into the caller's pinned spans
    }

    // K = 0: C = beta·C (beta = 0 clears without reading C, as in BLAS).
    static void ScaleC(in GemmProblem p)
    {
        if (p.Beta == 1f) return;
        for (int i = 0; i < p.M; i++)
        {
            var row = new Span<float>(p.C + i * p.Ldc, p.N);
            if (p.Beta == 0f) row.Clear();
            else for (int j = 0; j < row.Length; j++) row[j] *= p.Beta;
        }
    }

    static void RunPart(in GemmBatch batch, SimdWidth width, int part, int parts)
    {
        switch (width)
        {
            case SimdWidth.V512: RunPart<MicroKernel8x32V512>(in batch, part, parts); break;
            case SimdWidth.V256: RunPart<MicroKernel6x16V256>(in batch, part, parts); break;
            default: RunPart<MicroKernel4x4Scalar>(in batch, part, parts); break;
        }
    }

    static void RunPart<TK>(in GemmBatch batch, int part, int parts) where TK : struct, IMicroKernel
    {
        int columnTiles = (batch.Columns + TK.NR - 1) / TK.NR;
        int stripes = Math.Max(1, Math.Min(parts, columnTiles));
        // Total cost in units of MR·NR multiply-adds (unit (g, s, t) costs stripeTiles(s)·K_g).
        Int128 total = 0;
        for (int g = 0; g < batch.Count; g++)
        {
            GemmProblem p = batch.Problem(g);
            if (p.M == 0 || p.N == 0 || p.K == 0) continue;
            total += (Int128)((p.M + TK.MR - 1) / TK.MR) * columnTiles * p.K;
        }
        // Doubled bounds: tile t is ours when 2·start + cost (twice its midpoint) is in [2·lo, 2·hi).
        Int128 lo2 = 2 * (total * part / parts), hi2 = 2 * (total * (part + 1) / parts);
        GemmBuffers? buffers = null;
        Int128 start = 0;
        for (int g = 0; g < batch.Count; g++)
        {
            GemmProblem p = batch.Problem(g);
            if (p.M == 0 || p.N == 0 || p.K == 0) continue;
            int rowTiles = (p.M + TK.MR - 1) / TK.MR;
            for (int s = 0; s < stripes; s++)
            {
                int tile0 = (int)((long)columnTiles * s / stripes), tile1 = (int)((long)columnTiles * (s + 1) / stripes);
                Int128 unit = (Int128)(tile1 - tile0) * p.K;
                int t0 = TileBound(lo2 - 2 * start - unit, 2 * unit, rowTiles);
                int t1 = TileBound(hi2 - 2 * start - unit, 2 * unit, rowTiles);
                start += unit * rowTiles;
                if (t0 >= t1) continue;
                buffers ??= GemmBuffers.For(TK.MC * TK.KC, TK.KC * TK.NC, TK.MR * TK.NR);
                ComputeBlock<TK>(in p, t0 * TK.MR, Math.Min(t1 * TK.MR, p.M), tile0 * TK.NR, Math.Min(tile1 * TK.NR, p.N), buffers);
            }
            if (start * 2 >= hi2) break;
        }
    }

    // Smallest t in [0, count] with t·den ≥ num (ceiling division, num may be negative).
    static int TileBound(Int128 num, Int128 den, int count)
    {
        if (num <= 0) return 0;
        Int128 t = (num + den - 1) / den;
        return t >= count ? count : (int)t;
    }

    /// <summary>C rows [r0, r1) × columns [c0, c1) of one problem; r0 is a multiple of MR.</summary>
    static void ComputeBlock<TK>(in GemmProblem p, int r0, int r1, int c0, int c1, GemmBuffers buf) where TK : struct, IMicroKernel
    {
        if (typeof(TK) == typeof(MicroKernel8x32V512) && p.TransB && r1 - r0 <= TK.MC)
        {
            ComputeUnpackedB(in p, r0, r1, c0, c1, buf, TK.KC, TK.NC);
            return;
        }
        for (int jc = c0; jc < c1; jc += TK.NC)
        {
            int nc = Math.Min(TK.NC, c1 - jc);
            for (int pc = 0; pc < p.K; pc += TK.KC)
            {
                int kc = Math.Min(TK.KC, p.K - pc);
                float beta = pc == 0 ? p.Beta : 1f; // later depth blocks accumulate onto the first
                if (r1 - r0 <= TK.MC)
                {
                    // One row block: each B micro-panel is used right after packing, so pack it
                    // then (it stays in L1) instead of packing the whole KC×NC block first (which
                    // would round-trip through L3). This is the MoE expert case: few rows, wide B.
                    GemmPacking.PackA<TK>(in p, r0, r1 - r0, pc, kc, buf.A);
                    for (int jr = 0; jr < nc; jr += TK.NR)
                    {
                        int nr = Math.Min(TK.NR, nc - jr);
                        GemmPacking.PackB<TK>(in p, pc, kc, jc + jr, nr, buf.B);
                        if (jr + TK.NR < nc) GemmPacking.PrefetchB<TK>(in p, pc, kc, jc + jr + TK.NR, Math.Min(TK.NR, nc - jr - TK.NR));
                        MacroKernel<TK>(buf, buf.B, kc, r1 - r0, nr, p.C + r0 * p.Ldc + jc + jr, p.Ldc, beta);
                    }
                    continue;
                }
                GemmPacking.PackB<TK>(in p, pc, kc, jc, nc, buf.B);
                for (int ic = r0; ic < r1; ic += TK.MC)
                {
                    int mc = Math.Min(TK.MC, r1 - ic);
                    GemmPacking.PackA<TK>(in p, ic, mc, pc, kc, buf.A);
                    MacroKernel<TK>(buf, buf.B, kc, mc, nc, p.C + ic * p.Ldc + jc, p.Ldc, beta);
                }
            }
        }
    }

    /// <summary>
    /// C rows [r0, r1) × columns [c0, c1) of a problem with B stored n×k and few rows (≤ MC), on
    /// AVX-512: <see cref="UnpackedBKernelV512"/> reads B where it lies instead of transposing
    /// it into panels. Same depth blocking as the packed path (so the same bits): NC columns →
    /// KC depth (pack Aᵀ once, it is small) → 8 columns (8 rows of B, kept in L1 while every row
    /// panel uses them) → row panels of 32, then 16 and 8 for the rest of the rows.
    /// </summary>
    static void ComputeUnpackedB(in GemmProblem p, int r0, int r1, int c0, int c1, GemmBuffers buf, int kcMax, int ncMax)
    {
        const int nr = UnpackedBKernelV512.Columns;
        int rows = r1 - r0;
        for (int jc = c0; jc < c1; jc += ncMax)
        {
            int jEnd = Math.Min(c1, jc + ncMax);
            for (int pc = 0; pc < p.K; pc += kcMax)
            {
                int kc = Math.Min(kcMax, p.K - pc);
                float beta = pc == 0 ? p.Beta : 1f;
                GemmPacking.PackAColumns(in p, r0, rows, pc, kc, buf.A);
                // The tile after this depth block's last one: the next depth block's first, else the next column block's.
                float* after = pc + kcMax < p.K ? p.B + jc * p.Ldb + pc + kcMax : jEnd < c1 ? p.B + jEnd * p.Ldb : null;
                for (int j = jc; j < jEnd; j += nr)
                {
                    float* b = p.B + j * p.Ldb + pc;
                    // Prefetch addresses past the matrix are harmless (prefetches never fault).
                    float* next = j + nr < jEnd ? b + nr * p.Ldb : after;
                    RowPanels(in p, buf, buf.A, rows, r0, j, Math.Min(nr, jEnd - j), b, kc, beta, next);
                }
            }
        }
    }

    /// <summary>Rows [r0, r0+rows) × columns [j, j+cols) of C from the packed Aᵀ panels at <paramref name="ap"/> and B rows at <paramref name="b"/>, one depth block.</summary>
    static void RowPanels(in GemmProblem p, GemmBuffers buf, float* ap, int rows, int r0, int j, int cols, float* b, int kc, float beta, float* next)
    {
        const int nr = UnpackedBKernelV512.Columns;
        for (int i = 0; i < rows;)
        {
            int w = UnpackedBKernelV512.PanelRows(rows - i), mr = Math.Min(w, rows - i);
            float* cp = p.C + (r0 + i) * p.Ldc + j;
            bool edge = mr < w || cols < nr;
            float* target = edge ? buf.Tile : cp;
            nint ldt = edge ? nr : p.Ldc;
            float bt = edge ? 0f : beta;
            float* pf = i == 0 ? next : null; // the first panel streams B in; the rest find it in L1
            if (w == 32) UnpackedBKernelV512.Run32(kc, ap, b, p.Ldb, cols, target, ldt, bt, pf);
            else if (w == 16) UnpackedBKernelV512.Run16(kc, ap, b, p.Ldb, cols, target, ldt, bt, pf);
            else UnpackedBKernelV512.Run8(kc, ap, b, p.Ldb, cols, target, ldt, bt, pf);
            if (edge) StoreEdge(buf.Tile, nr, cp, p.Ldc, mr, cols, beta);
            ap += (nint)w * kc;
            i += w;
        }
    }

    // Row order when the packed B block is at most half of a KC×NC block (AVX-512: 512 KiB,
    // half this VM's 1 MiB L2): then it is re-read from L2, not L3, for every row of tiles.
    // Measured on the grouped weight gradient (8 experts, 512 rows, 1 thread): 77 → 84–95 GFLOP/s.
    static long RowOrderMaxB<TK>() where TK : struct, IMicroKernel => (long)TK.KC * TK.NC / 2;

    /// <summary>
    /// All MR×NR tiles of a packed mc×kc A block times a packed kc×nc B block. Tiles go row by
    /// row (each A micro-panel stays in L1 while the B block streams from L2) when the B block
    /// fits L2 comfortably, otherwise column by column (each B micro-panel stays in L1 while A
    /// streams from L2). Row order walks C the way it is stored: each of a tile's MR rows
    /// continues where the previous tile stopped, so the hardware prefetcher streams C, which
    /// matters when C is cold and the depth is small (the grouped weight gradient writes one
    /// fresh k×n matrix per expert, reducing over only that expert's rows). The order never
    /// changes what a tile computes, so results are the same bits either way.
    /// </summary>
    static void MacroKernel<TK>(GemmBuffers buf, float* packedB, int kc, int mc, int nc, float* c, nint ldc, float beta) where TK : struct, IMicroKernel
    {
        if ((long)kc * nc <= RowOrderMaxB<TK>())
        {
            for (int ir = 0; ir < mc; ir += TK.MR)
            {
                int mr = Math.Min(TK.MR, mc - ir);
                float* ap = buf.A + (nint)ir * kc;
                for (int jr = 0; jr < nc; jr += TK.NR)
                    Tile<TK>(buf, ap, packedB + (nint)jr * kc, kc, mr, Math.Min(TK.NR, nc - jr), c + ir * ldc + jr, ldc, beta);
            }
            return;
        }
        for (int jr = 0; jr < nc; jr += TK.NR)
        {
            int nr = Math.Min(TK.NR, nc - jr);
            float* bp = packedB + (nint)jr * kc;
            for (int ir = 0; ir < mc; ir += TK.MR)
            {
                int mr = Math.Min(TK.MR, mc - ir);
                float* ap = buf.A + (nint)ir * kc;
                float* cp = c + ir * ldc + jr;
                Tile<TK>(buf, ap, bp, kc, mr, nr, cp, ldc, beta);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Tile<TK>(GemmBuffers buf, float* ap, float* bp, int kc, int mr, int nr, float* cp, nint ldc, float beta) where TK : struct, IMicroKernel
    {
        if (mr == TK.MR && nr == TK.NR)
        {
            TK.Run(kc, ap, bp, cp, ldc, beta);
        }
        else
        {
            // Edge tile: same kernel on zero-padded panels into scratch, then the valid part.
            TK.Run(kc, ap, bp, buf.Tile, TK.NR, 0f);
            StoreEdge(buf.Tile, TK.NR, cp, ldc, mr, nr, beta);
        }
    }

    // Rounds exactly as the micro-kernels' vector update (one FMA), so edge and full tiles agree.
    [MethodImpl(MethodImplOptions.NoInlining)]
    static void StoreEdge(float* tile, int ldt, float* c, nint ldc, int mr, int nr, float beta)
    {
        for (int i = 0; i < mr; i++)
        {
            float* t = tile + i * ldt, ci = c + i * ldc;
            if (beta == 0f) for (int j = 0; j < nr; j++) ci[j] = t[j];
            else for (int j = 0; j < nr; j++) ci[j] = MathF.FusedMultiplyAdd(ci[j], beta, t[j]);
        }
    }
}
