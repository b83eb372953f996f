using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Switchyard.Tensors.Kernels.GemmCore;

/// <summary>
/// AVX-512 micro-kernels for C = A·Bᵀ that read B in its stored n×k layout, with no packing:
/// the Linear forward x·Wᵀ with few rows (an MoE expert's tokens). Packing B there means
/// transposing all n×k weights for only ~64 rows of work each; here the roles of the usual
/// kernel are swapped instead. A (few rows) is packed transposed, [p][rows], and loaded as
/// vectors down a column of C; B's k-contiguous rows are broadcast one element at a time
/// (8 row streams, read in storage order). The accumulators hold columns of C, which are
/// transposed in registers on the way out.
/// <para>
/// Each element of C is the same FMA sequence as in <see cref="MicroKernel8x32V512"/>: an
/// accumulator starting at zero, Σₚ a·b in order of p over one depth block, then
/// C = beta·C + acc as one FMA. So this path and the packed one give identical bits, and the
/// driver may pick either for any block.
/// </para>
/// </summary>
internal static unsafe class UnpackedBKernelV512
{
    /// <summary>Columns of C per tile (B rows broadcast per k step).</summary>
    public const int Columns = 8;

    /// <summary>
    /// Rows of the next A panel when <paramref name="remaining"/> rows are left: 32, and for the
    /// last few 16 and/or 8, so a 5-token expert computes 8 rows, not 32.
    /// </summary>
    public static int PanelRows(int remaining) => remaining > 24 ? 32 : remaining > 8 ? 16 : 8;

    static readonly Vector512<int> LowHalves = Vector512.Create(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
    static readonly Vector512<int> HighHalves = Vector512.Create(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);

    /// <summary>
    /// C[32 × cols] = Σₚ a[p·32 + i]·B[j·ldb + p] + beta·C over p &lt; kc, for j &lt; <paramref name="cols"/>
    /// (≤ 8); C is written as 32 × 8, so a partial tile goes to scratch. Every 16 k steps one line of
    /// each of the 8 B rows at <paramref name="prefetch"/> (same ldb) is prefetched: the next tile's
    /// B, usually cold weights, arrives while this tile computes. Null prefetches nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run32(int kc, float* a, float* b, nint ldb, int cols, float* c, nint ldc, float beta, float* prefetch)
    {
        // Columns past the edge re-read the last valid row; their results are never stored.
        float* b0 = b, b1 = Row(b, ldb, 1, cols), b2 = Row(b, ldb, 2, cols), b3 = Row(b, ldb, 3, cols);
        float* b4 = Row(b, ldb, 4, cols), b5 = Row(b, ldb, 5, cols), b6 = Row(b, ldb, 6, cols), b7 = Row(b, ldb, 7, cols);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            if ((p & 15) == 0 && prefetch != null) Prefetch(prefetch + p, ldb);
            Vector512<float> a0 = Vector512.LoadAligned(a), a1 = Vector512.LoadAligned(a + 16);
            Vector512<float> bv = Vector512.Create(b0[p]);
            c00 = Vector512.FusedMultiplyAdd(a0, bv, c00); c01 = Vector512.FusedMultiplyAdd(a1, bv, c01);
            bv = Vector512.Create(b1[p]);
            c10 = Vector512.FusedMultiplyAdd(a0, bv, c10); c11 = Vector512.FusedMultiplyAdd(a1, bv, c11);
            bv = Vector512.Create(b2[p]);
            c20 = Vector512.FusedMultiplyAdd(a0, bv, c20); c21 = Vector512.FusedMultiplyAdd(a1, bv, c21);
            bv = Vector512.Create(b3[p]);
            c30 = Vector512.FusedMultiplyAdd(a0, bv, c30); c31 = Vector512.FusedMultiplyAdd(a1, bv, c31);
            bv = Vector512.Create(b4[p]);
            c40 = Vector512.FusedMultiplyAdd(a0, bv, c40); c41 = Vector512.FusedMultiplyAdd(a1, bv, c41);
            bv = Vector512.Create(b5[p]);
            c50 = Vector512.FusedMultiplyAdd(a0, bv, c50); c51 = Vector512.FusedMultiplyAdd(a1, bv, c51);
            bv = Vector512.Create(b6[p]);
            c60 = Vector512.FusedMultiplyAdd(a0, bv, c60); c61 = Vector512.FusedMultiplyAdd(a1, bv, c61);
            bv = Vector512.Create(b7[p]);
            c70 = Vector512.FusedMultiplyAdd(a0, bv, c70); c71 = Vector512.FusedMultiplyAdd(a1, bv, c71);
            a += 32;
        }
        StoreColumns(c00, c10, c20, c30, c40, c50, c60, c70, c, ldc, beta);
        StoreColumns(c01, c11, c21, c31, c41, c51, c61, c71, c + 16 * ldc, ldc, beta);
    }

    /// <summary><see cref="Run32"/> for 16 rows (a panel [p][16]): 8 accumulators, still enough to cover the FMA latency.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run16(int kc, float* a, float* b, nint ldb, int cols, float* c, nint ldc, float beta, float* prefetch)
    {
        float* b0 = b, b1 = Row(b, ldb, 1, cols), b2 = Row(b, ldb, 2, cols), b3 = Row(b, ldb, 3, cols);
        float* b4 = Row(b, ldb, 4, cols), b5 = Row(b, ldb, 5, cols), b6 = Row(b, ldb, 6, cols), b7 = Row(b, ldb, 7, cols);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> c4 = default, c5 = default, c6 = default, c7 = default;
        for (int p = 0; p < kc; p++)
        {
            if ((p & 15) == 0 && prefetch != null) Prefetch(prefetch + p, ldb);
            Vector512<float> av = Vector512.LoadAligned(a);
            c0 = Vector512.FusedMultiplyAdd(av, Vector512.Create(b0[p]), c0);
            c1 = Vector512.FusedMultiplyAdd(av, Vector512.Create(b1[p]), c1);
            c2 = Vector512.FusedMultiplyAdd(av, Vector512.Create(b2[p]), c2);
            c3 = Vector512.FusedMultiplyAdd(av, Vector512.Create(b3[p]), c3);
            c4 = Vector512.FusedMultiplyAdd(av, Vector512.Create(b4[p]), c4);
            c5 = Vector512.FusedMultiplyAdd(av, Vector512.Create(b5[p]), c5);
            c6 = Vector512.FusedMultiplyAdd(av, Vector512.Create(b6[p]), c6);
            c7 = Vector512.FusedMultiplyAdd(av, Vector512.Create(b7[p]), c7);
            a += 16;
        }
        StoreColumns(c0, c1, c2, c3, c4, c5, c6, c7, c, ldc, beta);
    }

    /// <summary><see cref="Run32"/> for 8 rows (a panel [p][8]) with 256-bit vectors: the tail of a group, e.g. 5 tokens.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run8(int kc, float* a, float* b, nint ldb, int cols, float* c, nint ldc, float beta, float* prefetch)
    {
        float* b0 = b, b1 = Row(b, ldb, 1, cols), b2 = Row(b, ldb, 2, cols), b3 = Row(b, ldb, 3, cols);
        float* b4 = Row(b, ldb, 4, cols), b5 = Row(b, ldb, 5, cols), b6 = Row(b, ldb, 6, cols), b7 = Row(b, ldb, 7, cols);
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector256<float> c4 = default, c5 = default, c6 = default, c7 = default;
        for (int p = 0; p < kc; p++)
        {
            if ((p & 15) == 0 && prefetch != null) Prefetch(prefetch + p, ldb);
            Vector256<float> av = Vector256.LoadAligned(a);
            c0 = Vector256.FusedMultiplyAdd(av, Vector256.Create(b0[p]), c0);
            c1 = Vector256.FusedMultiplyAdd(av, Vector256.Create(b1[p]), c1);
            c2 = Vector256.FusedMultiplyAdd(av, Vector256.Create(b2[p]), c2);
            c3 = Vector256.FusedMultiplyAdd(av, Vector256.Create(b3[p]), c3);
            c4 = Vector256.FusedMultiplyAdd(av, Vector256.Create(b4[p]), c4);
            c5 = Vector256.FusedMultiplyAdd(av, Vector256.Create(b5[p]), c5);
            c6 = Vector256.FusedMultiplyAdd(av, Vector256.Create(b6[p]), c6);
            c7 = Vector256.FusedMultiplyAdd(av, Vector256.Create(b7[p]), c7);
            a += 8;
        }
        // 8×8 register transpose (as GemmPacking's): column accumulators → rows of C.
        Vector256<float> t0 = Avx.UnpackLow(c0, c1), t1 = Avx.UnpackHigh(c0, c1);
        Vector256<float> t2 = Avx.UnpackLow(c2, c3), t3 = Avx.UnpackHigh(c2, c3);
        Vector256<float> t4 = Avx.UnpackLow(c4, c5), t5 = Avx.UnpackHigh(c4, c5);
        Vector256<float> t6 = Avx.UnpackLow(c6, c7), t7 = Avx.UnpackHigh(c6, c7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Vector256<float> bv = Vector256.Create(beta);
        bool read = beta != 0f;
        StoreRow(Avx.Permute2x128(u0, u4, 0x20), c, bv, read);
        StoreRow(Avx.Permute2x128(u1, u5, 0x20), c + ldc, bv, read);
        StoreRow(Avx.Permute2x128(u2, u6, 0x20), c + 2 * ldc, bv, read);
        StoreRow(Avx.Permute2x128(u3, u7, 0x20), c + 3 * ldc, bv, read);
        StoreRow(Avx.Permute2x128(u0, u4, 0x31), c + 4 * ldc, bv, read);
        StoreRow(Avx.Permute2x128(u1, u5, 0x31), c + 5 * ldc, bv, read);
        StoreRow(Avx.Permute2x128(u2, u6, 0x31), c + 6 * ldc, bv, read);
        StoreRow(Avx.Permute2x128(u3, u7, 0x31), c + 7 * ldc, bv, read);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float* Row(float* b, nint ldb, int j, int cols) => b + (j < cols ? j : cols - 1) * ldb;

    // One cache line of each of the next tile's 8 B rows; to L2 (T1) so this tile's B stays in L1.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Prefetch(float* p, nint ldb)
    {
        Sse.Prefetch1(p); Sse.Prefetch1(p + ldb); Sse.Prefetch1(p + 2 * ldb); Sse.Prefetch1(p + 3 * ldb);
        Sse.Prefetch1(p + 4 * ldb); Sse.Prefetch1(p + 5 * ldb); Sse.Prefetch1(p + 6 * ldb); Sse.Prefetch1(p + 7 * ldb);
    }

    /// <summary>
    /// x0..x7 hold columns 0..7 of 16 rows; writes rows i &lt; 16 of C (8 floats each) as
    /// C = beta·C + acc (C not read when beta is 0). Two in-lane shuffle stages, then one
    /// two-source permute pairs rows 0–3 with 4–7 of each column: 24 shuffles for 128 values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreColumns(Vector512<float> x0, Vector512<float> x1, Vector512<float> x2, Vector512<float> x3,
        Vector512<float> x4, Vector512<float> x5, Vector512<float> x6, Vector512<float> x7, float* c, nint ldc, float beta)
    {
        Vector512<float> t0 = Avx512F.UnpackLow(x0, x1), t1 = Avx512F.UnpackHigh(x0, x1);
        Vector512<float> t2 = Avx512F.UnpackLow(x2, x3), t3 = Avx512F.UnpackHigh(x2, x3);
        Vector512<float> t4 = Avx512F.UnpackLow(x4, x5), t5 = Avx512F.UnpackHigh(x4, x5);
        Vector512<float> t6 = Avx512F.UnpackLow(x6, x7), t7 = Avx512F.UnpackHigh(x6, x7);
        // u_r, 128-bit lane L: row 4L + r of columns 0–3 (u0..u3) or 4–7 (u4..u7).
        Vector512<float> u0 = Avx512F.Shuffle(t0, t2, 0x44), u1 = Avx512F.Shuffle(t0, t2, 0xEE);
        Vector512<float> u2 = Avx512F.Shuffle(t1, t3, 0x44), u3 = Avx512F.Shuffle(t1, t3, 0xEE);
        Vector512<float> u4 = Avx512F.Shuffle(t4, t6, 0x44), u5 = Avx512F.Shuffle(t4, t6, 0xEE);
        Vector512<float> u6 = Avx512F.Shuffle(t5, t7, 0x44), u7 = Avx512F.Shuffle(t5, t7, 0xEE);
        Vector512<int> lo = LowHalves, hi = HighHalves;
        Vector256<float> bv = Vector256.Create(beta);
        bool read = beta != 0f;
        // Each permute gives rows r and r + 4 (lo) or r + 8 and r + 12 (hi), 8 columns each.
        StoreRows(Avx512F.PermuteVar16x32x2(u0, lo, u4), c, ldc, 0, bv, read);
        StoreRows(Avx512F.PermuteVar16x32x2(u0, hi, u4), c, ldc, 8, bv, read);
        StoreRows(Avx512F.PermuteVar16x32x2(u1, lo, u5), c, ldc, 1, bv, read);
        StoreRows(Avx512F.PermuteVar16x32x2(u1, hi, u5), c, ldc, 9, bv, read);
        StoreRows(Avx512F.PermuteVar16x32x2(u2, lo, u6), c, ldc, 2, bv, read);
        StoreRows(Avx512F.PermuteVar16x32x2(u2, hi, u6), c, ldc, 10, bv, read);
        StoreRows(Avx512F.PermuteVar16x32x2(u3, lo, u7), c, ldc, 3, bv, read);
        StoreRows(Avx512F.PermuteVar16x32x2(u3, hi, u7), c, ldc, 11, bv, read);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreRows(Vector512<float> v, float* c, nint ldc, int row, Vector256<float> beta, bool read)
    {
        StoreRow(v.GetLower(), c + row * ldc, beta, read);
        StoreRow(v.GetUpper(), c + (row + 4) * ldc, beta, read);
    }

    // C = beta·C + acc as one FMA, exactly as MicroKernel8x32V512's update and the scalar edge copy.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreRow(Vector256<float> x, float* c, Vector256<float> beta, bool read)
    {
        if (read) x = Vector256.FusedMultiplyAdd(Vector256.Load(c), beta, x);
        Vector256.Store(x, c);
    }
}
