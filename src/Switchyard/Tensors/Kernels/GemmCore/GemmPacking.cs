using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Switchyard.Tensors.Kernels.GemmCore;

/// <summary>
/// Copies blocks of op(A) and op(B) into the contiguous panel layouts the micro-kernels read:
/// A in panels of MR rows ([panel][p][r]), B in panels of NR columns ([panel][p][j]), each
/// zero-padded to a whole panel so the micro-kernel never needs an edge case. Packing is a
/// bitwise copy, so how it is done (AVX transposes or scalar) never changes results.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>Packs op(A) rows [ic, ic+mc) × depth [pc, pc+kc) into MR-row panels at <paramref name="dst"/>.</summary>
    public static void PackA<TK>(in GemmProblem p, int ic, int mc, int pc, int kc, float* dst) where TK : struct, IMicroKernel
    {
        int mrFull = TK.MR;
        for (int ir = 0; ir < mc; ir += mrFull)
        {
            int mr = Math.Min(mrFull, mc - ir);
            float* d = dst + (nint)ir * kc;
            if (!p.TransA)
            {
                Transpose(p.A + (ic + ir) * p.Lda + pc, p.Lda, mr, kc, d, mrFull);
            }
            else
            {
                float* s = p.A + pc * p.Lda + ic + ir;
                if (mr == mrFull)
                {
                    for (int q = 0; q < kc; q++) Unsafe.CopyBlockUnaligned(d + q * mrFull, s + q * p.Lda, (uint)(TK.MR * sizeof(float)));
                }
                else
                {
                    for (int q = 0; q < kc; q++) CopyPadded(s + q * p.Lda, d + q * mrFull, mr, mrFull);
                }
            }
        }
    }

    /// <summary>
    /// Packs op(A) rows [ic, ic+mc) × depth [pc, pc+kc) for <see cref="UnpackedBKernelV512"/>:
    /// consecutive panels of <see cref="UnpackedBKernelV512.PanelRows"/> rows, each [p][rows]
    /// and zero-padded. Panel widths are 32 first, then at most one 16 and one 8, so every
    /// panel starts 64-byte aligned.
    /// </summary>
    public static void PackAColumns(in GemmProblem p, int ic, int mc, int pc, int kc, float* dst)
    {
        for (int i = 0; i < mc;)
        {
            int w = UnpackedBKernelV512.PanelRows(mc - i), r = Math.Min(w, mc - i);
            if (!p.TransA) Transpose(p.A + (ic + i) * p.Lda + pc, p.Lda, r, kc, dst, w);
            else for (int q = 0; q < kc; q++) CopyPadded(p.A + (pc + q) * p.Lda + ic + i, dst + q * w, r, w);
            dst += (nint)w * kc;
            i += w;
        }
    }

    /// <summary>Packs op(B) depth [pc, pc+kc) × columns [jc, jc+nc) into NR-column panels at <paramref name="dst"/>.</summary>
    public static void PackB<TK>(in GemmProblem p, int pc, int kc, int jc, int nc, float* dst) where TK : struct, IMicroKernel
    {
        int nrFull = TK.NR;
        for (int jr = 0; jr < nc; jr += nrFull)
        {
            int nr = Math.Min(nrFull, nc - jr);
            float* d = dst + (nint)jr * kc;
            if (p.TransB)
            {
                Transpose(p.B + (jc + jr) * p.Ldb + pc, p.Ldb, nr, kc, d, nrFull);
            }
            else
            {
                float* s = p.B + pc * p.Ldb + jc + jr;
                if (nr == nrFull)
                {
                    for (int q = 0; q < kc; q++) Unsafe.CopyBlockUnaligned(d + q * nrFull, s + q * p.Ldb, (uint)(TK.NR * sizeof(float)));
                }
                else
                {
                    for (int q = 0; q < kc; q++) CopyPadded(s + q * p.Ldb, d + q * nrFull, nr, nrFull);
                }
            }
        }
    }

    /// <summary>
    /// Prefetches the source of the B micro-panel at columns [j0, j0+NR) into L2 while the
    /// current one is being used: expert weights are usually cold (each expert's B is touched
    /// once per call), and 32 strided rows are more streams than the hardware prefetcher follows.
    /// </summary>
    public static void PrefetchB<TK>(in GemmProblem p, int pc, int kc, int j0, int nr) where TK : struct, IMicroKernel
    {
        if (!Sse.IsSupported) return;
        if (p.TransB)
        {
            for (int j = 0; j < nr; j++)
            {
                float* row = p.B + (j0 + j) * p.Ldb + pc;
                for (int q = 0; q < kc; q += 16) Sse.Prefetch1(row + q);
            }
        }
        else
        {
            for (int q = 0; q < kc; q++)
            {
                float* row = p.B + (pc + q) * p.Ldb + j0;
                for (int j = 0; j < nr; j += 16) Sse.Prefetch1(row + j);
            }
        }
    }

    static void CopyPadded(float* s, float* d, int count, int width)
    {
        int i = 0;
        for (; i < count; i++) d[i] = s[i];
        for (; i < width; i++) d[i] = 0f;
    }

    /// <summary>
    /// d[q·width + r] = s[r·ld + q] for r &lt; rows, q &lt; cols; zero for rows ≤ r &lt; width.
    /// Whole 8×8 blocks go through an AVX register transpose (about 3 shuffles per element
    /// instead of a strided scalar store each).
    /// </summary>
    static void Transpose(float* s, nint ld, int rows, int cols, float* d, int width)
    {
        int r = 0;
        if (Avx.IsSupported)
        {
            for (; r + 8 <= rows; r += 8)
            {
                int q = 0;
                for (; q + 8 <= cols; q += 8) Transpose8x8(s + r * ld + q, ld, d + (nint)q * width + r, width);
                for (; q < cols; q++)
                {
                    float* dq = d + (nint)q * width + r;
                    for (int i = 0; i < 8; i++) dq[i] = s[(r + i) * ld + q];
                }
            }
        }
        for (; r < rows; r++)
        {
            float* sr = s + r * ld;
            for (int q = 0; q < cols; q++) d[(nint)q * width + r] = sr[q];
        }
        if (rows < width)
        {
            for (int q = 0; q < cols; q++)
            {
                float* dq = d + (nint)q * width;
                for (int i = rows; i < width; i++) dq[i] = 0f;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose8x8(float* s, nint ld, float* d, nint dld)
    {
        Vector256<float> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + ld);
        Vector256<float> r2 = Avx.LoadVector256(s + 2 * ld), r3 = Avx.LoadVector256(s + 3 * ld);
        Vector256<float> r4 = Avx.LoadVector256(s + 4 * ld), r5 = Avx.LoadVector256(s + 5 * ld);
        Vector256<float> r6 = Avx.LoadVector256(s + 6 * ld), r7 = Avx.LoadVector256(s + 7 * ld);

        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);

        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);

        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + dld, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 2 * dld, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + 3 * dld, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 4 * dld, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + 5 * dld, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 6 * dld, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + 7 * dld, Avx.Permute2x128(u3, u7, 0x31));
    }
}
