using System.Numerics;
using Switchyard.Tensors.Kernels.GemmCore;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// Many GEMMs of different row counts in one call: the MoE expert hot path (one group per
/// expert, rows = the tokens routed to it). Work is split over <see cref="ParallelRunner"/>
/// in equal static chunks of the total FLOPs (group × row tile × column stripe units), not one
/// group per thread, so uneven groups still keep every thread busy. The reduction depth is
/// never split: results are bit-identical for any thread count (for a given SIMD width).
/// </summary>
public static class GroupedGemm
{
    /// <summary>
    /// For each group g (rows offsets[g]..offsets[g+1] of A and C): C_g = A_g·op(B_g) + beta·C_g,
    /// where A is rows×<paramref name="k"/>, C is rows×<paramref name="n"/>, and B holds
    /// G = offsets.Length − 1 matrices back to back, each k×n (n×k when <paramref name="transB"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Offsets do not start at 0 or decrease, or a span's length does not match.</exception>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, ReadOnlySpan<int> offsets,
        int n, int k, bool transB = false, float beta = 0f) =>
        Multiply(a, b, c, offsets, n, k, transB, beta, Simd.Best, ParallelRunner.Threads);

    /// <summary>
    /// Weight gradient per group: dB_g (k×n) = A_gᵀ·dC_g + beta·dB_g, with A rows×<paramref name="k"/>
    /// and dC rows×<paramref name="n"/> split by <paramref name="offsets"/>; db holds G matrices
    /// back to back. When <paramref name="transB"/> each dB_g is stored n×k (= dC_gᵀ·A_g), the
    /// layout of a Linear weight [out, in]. Empty groups get dB_g = beta·dB_g.
    /// </summary>
    /// <exception cref="ArgumentException">Offsets do not start at 0 or decrease, or a span's length does not match.</exception>
    public static void MultiplyTransposeA(ReadOnlySpan<float> a, ReadOnlySpan<float> dc, Span<float> db, ReadOnlySpan<int> offsets,
        int k, int n, bool transB = false, float beta = 0f) =>
        MultiplyTransposeA(a, dc, db, offsets, k, n, transB, beta, Simd.Best, ParallelRunner.Threads);

    internal static unsafe void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, ReadOnlySpan<int> offsets,
        int n, int k, bool transB, float beta, SimdWidth width, int threads)
    {
        int rows = CheckOffsets(offsets, n, k);
        int groups = offsets.Length - 1;
        if (a.Length != (long)rows * k) Gemm.ThrowLength(nameof(a), a.Length, 1, rows, k, "rows×k");
        if (b.Length != (long)groups * k * n) Gemm.ThrowLength(nameof(b), b.Length, groups, transB ? n : k, transB ? k : n, transB ? "groups×n×k" : "groups×k×n");
        if (c.Length != (long)rows * n) Gemm.ThrowLength(nameof(c), c.Length, 1, rows, n, "rows×n");
        Run(a, b, c, offsets, n, k, transB, beta, GemmBatchKind.GroupedRows, width, threads);
    }

    internal static unsafe void MultiplyTransposeA(ReadOnlySpan<float> a, ReadOnlySpan<float> dc, Span<float> db, ReadOnlySpan<int> offsets,
        int k, int n, bool transB, float beta, SimdWidth width, int threads)
    {
        int rows = CheckOffsets(offsets, n, k);
        int groups = offsets.Length - 1;
        if (a.Length != (long)rows * k) Gemm.ThrowLength(nameof(a), a.Length, 1, rows, k, "rows×k");
        if (dc.Length != (long)rows * n) Gemm.ThrowLength(nameof(dc), dc.Length, 1, rows, n, "rows×n");
        if (db.Length != (long)groups * k * n) Gemm.ThrowLength(nameof(db), db.Length, groups, transB ? n : k, transB ? k : n, transB ? "groups×n×k" : "groups×k×n");
        Run(a, dc, db, offsets, n, k, transB, beta, GemmBatchKind.GroupedReduce, width, threads);
    }

    static unsafe void Run(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, ReadOnlySpan<int> offsets,
        int n, int k, bool transB, float beta, GemmBatchKind kind, SimdWidth width, int threads)
    {
        int groups = offsets.Length - 1;
        if (groups == 0) return;
        fixed (float* pa = a, pb = b, pc = c)
        fixed (int* po = offsets)
        {
            var batch = new GemmBatch
            {
                Kind = kind, A = pa, B = pb, C = pc, Offsets = po, Groups = groups,
                N = n, K = k, TransB = transB, Beta = beta,
            };
            GemmDriver.Run(in batch, width, threads);
        }
    }

    static int CheckOffsets(ReadOnlySpan<int> offsets, int n, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (offsets.Length == 0 || offsets[0] != 0)
            throw new ArgumentException($"offsets must start with 0 (length {offsets.Length}{(offsets.Length > 0 ? $", first {offsets[0]}" : "")}).", nameof(offsets));
        for (int g = 1; g < offsets.Length; g++)
        {
            if (offsets[g] < offsets[g - 1])
                throw new ArgumentException($"offsets must not decrease: offsets[{g - 1}] = {offsets[g - 1]} > offsets[{g}] = {offsets[g]}.", nameof(offsets));
        }
        return offsets[^1];
    }

    /// <summary>The definition of <see cref="Multiply(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, ReadOnlySpan{int}, int, int, bool, float)"/>, generic for a double oracle.</summary>
    internal static void Reference<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, ReadOnlySpan<int> offsets,
        int n, int k, bool transB, T beta) where T : IFloatingPointIeee754<T>
    {
        for (int g = 0; g + 1 < offsets.Length; g++)
        {
            int r0 = offsets[g], rows = offsets[g + 1] - r0;
            Gemm.Reference(a.Slice(r0 * k, rows * k), b.Slice(g * k * n, k * n), c.Slice(r0 * n, rows * n), rows, n, k, false, transB, beta);
        }
    }

    /// <summary>The definition of <see cref="MultiplyTransposeA(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, ReadOnlySpan{int}, int, int, bool, float)"/>, generic for a double oracle.</summary>
    internal static void ReferenceTransposeA<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> dc, Span<T> db, ReadOnlySpan<int> offsets,
        int k, int n, bool transB, T beta) where T : IFloatingPointIeee754<T>
    {
        for (int g = 0; g + 1 < offsets.Length; g++)
        {
            int r0 = offsets[g], rows = offsets[g + 1] - r0;
            ReadOnlySpan<T> ag = a.Slice(r0 * k, rows * k), dcg = dc.Slice(r0 * n, rows * n);
            Span<T> dbg = db.Slice(g * k * n, k * n);
            if (transB) Gemm.Reference(dcg, ag, dbg, n, k, rows, true, false, beta);
            else Gemm.Reference(ag, dcg, dbg, k, n, rows, true, false, beta);
        }
    }
}
