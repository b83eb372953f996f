using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Tensors.Kernels;

public class GroupedGemmTests
{
    // Group row counts: empty groups (first, middle, last), one group, 8 uneven experts.
    static readonly int[][] GroupRows =
    [
        [0, 5, 0, 9, 0],
        [37],
        [70, 3, 0, 129, 17, 1, 40, 8],
        [],
    ];

    public static TheoryData<SimdWidth, bool> WidthsAndTransB()
    {
        var data = new TheoryData<SimdWidth, bool>();
        foreach (SimdWidth w in Enum.GetValues<SimdWidth>())
        {
            data.Add(w, false);
            data.Add(w, true);
        }
        return data;
    }

    static int[] Offsets(int[] rows)
    {
        var offsets = new int[rows.Length + 1];
        for (int g = 0; g < rows.Length; g++) offsets[g + 1] = offsets[g] + rows[g];
        return offsets;
    }

    [Theory, MemberData(nameof(WidthsAndTransB))]
    public void Multiply_GroupsAndBetas_MatchesDoubleReference(SimdWidth width, bool transB)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(42);
        foreach (int[] rows in GroupRows)
        {
            foreach (var (n, k) in new[] { (33, 65), (100, 31) })
            {
                foreach (float beta in new[] { 0f, 1f, 0.5f })
                {
                    int[] offsets = Offsets(rows);
                    int total = offsets[^1], groups = rows.Length;
                    float[] a = Rand.Floats(rng, total * k), b = Rand.Floats(rng, groups * k * n), c = Rand.Floats(rng, total * n);
                    double[] expected = Rand.ToDouble(c);
                    GroupedGemm.Reference<double>(Rand.ToDouble(a), Rand.ToDouble(b), expected, offsets, n, k, transB, beta);
                    GroupedGemm.Multiply(a, b, c, offsets, n, k, transB, beta, width, threads: 2);
                    GemmTests.AssertClose(expected, c, k, $"{width} rows=[{string.Join(',', rows)}] n={n} k={k} tB={transB} beta={beta}");
                }
            }
        }
    }

    [Theory, MemberData(nameof(WidthsAndTransB))]
    public void MultiplyTransposeA_GroupsAndBetas_MatchesDoubleReference(SimdWidth width, bool transB)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(43);
        foreach (int[] rows in GroupRows)
        {
            foreach (var (k, n) in new[] { (33, 65), (100, 31) })
            {
                foreach (float beta in new[] { 0f, 1f, 0.5f })
                {
                    int[] offsets = Offsets(rows);
                    int total = offsets[^1], groups = rows.Length;
                    float[] a = Rand.Floats(rng, total * k), dc = Rand.Floats(rng, total * n), db = Rand.Floats(rng, groups * k * n);
                    double[] expected = Rand.ToDouble(db);
                    GroupedGemm.ReferenceTransposeA<double>(Rand.ToDouble(a), Rand.ToDouble(dc), expected, offsets, k, n, transB, beta);
                    GroupedGemm.MultiplyTransposeA(a, dc, db, offsets, k, n, transB, beta, width, threads: 2);
                    int depth = rows.Length == 0 ? 0 : rows.Max();
                    GemmTests.AssertClose(expected, db, depth, $"{width} rows=[{string.Join(',', rows)}] k={k} n={n} tB={transB} beta={beta}");
                }
            }
        }
    }

    // Few rows per group with B stored n×k: on AVX-512 the unpacked-B path (row panels of 32, then
    // 16 and 8 for the rest). Every tail of the panel scheme (1, 5, 8, 9, 16, 17, 20, 24, 25, 31),
    // whole panels, empty groups; columns that are not a multiple of 8 and a depth past KC = 256.
    static readonly int[] FewRows = [1, 0, 5, 8, 9, 16, 17, 20, 24, 25, 31, 32, 33, 63, 65, 0];

    public static TheoryData<SimdWidth, int> WidthsAndThreads()
    {
        var data = new TheoryData<SimdWidth, int>();
        foreach (SimdWidth w in Enum.GetValues<SimdWidth>())
        {
            data.Add(w, 1);
            data.Add(w, 2);
        }
        return data;
    }

    [Theory, MemberData(nameof(WidthsAndThreads))]
    public void Multiply_TransBFewRowsPerGroup_MatchesDoubleReference(SimdWidth width, int threads)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(44);
        int[] offsets = Offsets(FewRows);
        int total = offsets[^1], groups = FewRows.Length;
        foreach (var (n, k, beta) in new[] { (9, 17, 0f), (1, 65, 1f), (33, 300, 0.5f), (20, 257, 0f) })
        {
            float[] a = Rand.Floats(rng, total * k), b = Rand.Floats(rng, groups * n * k), c = Rand.Floats(rng, total * n);
            double[] expected = Rand.ToDouble(c);
            GroupedGemm.Reference<double>(Rand.ToDouble(a), Rand.ToDouble(b), expected, offsets, n, k, true, beta);
            if (beta == 0f) Array.Fill(c, float.NaN); // beta = 0 must not read C
            GroupedGemm.Multiply(a, b, c, offsets, n, k, true, beta, width, threads);
            GemmTests.AssertClose(expected, c, k, $"{width} threads={threads} n={n} k={k} beta={beta}");
        }
    }

    [Fact]
    public void Multiply_TransBFewRows_IsBitIdenticalToThePackedPath()
    {
        // Given 200 rows times one B: a plain GEMM past MC rows, so on one thread the packed path
        var rng = new Rng(45);
        const int m = 200, n = 75, k = 300;
        float[] a = Rand.Floats(rng, m * k), b = Rand.Floats(rng, n * k), packed = Rand.Floats(rng, m * n);
        float[] grouped = (float[])packed.Clone();
        Gemm.Multiply(a, b, packed, m, n, k, false, true, 0.5f, Simd.Best, threads: 1);
        // When the same rows run as groups of at most 192 rows (the unpacked-B path on AVX-512)
        int[] offsets = [0, 1, 6, 30, 57, 64, 200];
        float[] bs = new float[(offsets.Length - 1) * n * k];
        for (int g = 0; g + 1 < offsets.Length; g++) b.CopyTo(bs, g * n * k);
        GroupedGemm.Multiply(a, bs, grouped, offsets, n, k, true, 0.5f, Simd.Best, threads: 1);
        // Then every element is the same FMA sequence: the same bits
        Assert.Equal(packed, grouped);
    }

    [Fact]
    public void Multiply_Threads2_IsBitIdenticalAcrossRunsAndThreadCounts()
    {
        var rng = new Rng(9);
        int[] offsets = Offsets([300, 10, 0, 77, 160, 33, 250, 194]);
        const int n = 96, k = 130;
        int total = offsets[^1];
        float[] a = Rand.Floats(rng, total * k), b = Rand.Floats(rng, 8 * k * n);
        float[] first = new float[total * n], again = new float[total * n];
        GroupedGemm.Multiply(a, b, first, offsets, n, k, true, 0f, Simd.Best, threads: 2);
        for (int run = 0; run < 2; run++)
        {
            GroupedGemm.Multiply(a, b, again, offsets, n, k, true, 0f, Simd.Best, threads: 2);
            Assert.Equal(first, again);
        }
        foreach (int threads in new[] { 1, 3, 5 })
        {
            GroupedGemm.Multiply(a, b, again, offsets, n, k, true, 0f, Simd.Best, threads);
            Assert.Equal(first, again);
        }
        // The same rows through plain GEMM, group by group, give the same bits: one code path.
        float[] single = new float[total * n];
        for (int g = 0; g < 8; g++)
        {
            int r0 = offsets[g], rows = offsets[g + 1] - r0;
            if (rows * n * k < Gemm.DirectWork) continue; // the plain call would take the direct path
            Gemm.Multiply(a.AsSpan(r0 * k, rows * k), b.AsSpan(g * k * n, k * n), single.AsSpan(r0 * n, rows * n), rows, n, k, false, true, 0f, Simd.Best, 1);
            Assert.Equal(first.AsSpan(r0 * n, rows * n).ToArray(), single.AsSpan(r0 * n, rows * n).ToArray());
        }
    }

    [Fact]
    public void MultiplyTransposeA_Threads2_IsBitIdenticalAcrossRunsAndThreadCounts()
    {
        var rng = new Rng(10);
        int[] offsets = Offsets([300, 10, 0, 77, 160, 33, 250, 194]);
        const int n = 96, k = 130;
        int total = offsets[^1];
        float[] a = Rand.Floats(rng, total * k), dc = Rand.Floats(rng, total * n);
        float[] first = new float[8 * k * n], again = new float[8 * k * n];
        GroupedGemm.MultiplyTransposeA(a, dc, first, offsets, k, n, false, 0f, Simd.Best, threads: 2);
        foreach (int threads in new[] { 2, 2, 1, 3 })
        {
            GroupedGemm.MultiplyTransposeA(a, dc, again, offsets, k, n, false, 0f, Simd.Best, threads);
            Assert.Equal(first, again);
        }
    }

    [Fact]
    public void Multiply_SteadyStateWithTwoParts_AllocatesNothing()
    {
        // ~4M multiply-adds: split into 2 parts, so the parallel hand-off is covered too.
        var rng = new Rng(12);
        int[] offsets = Offsets([100, 0, 60, 96]);
        const int n = 128, k = 128;
        int total = offsets[^1];
        float[] a = Rand.Floats(rng, total * k), b = Rand.Floats(rng, 4 * k * n), c = new float[total * n];
        for (int i = 0; i < 300; i++) GroupedGemm.Multiply(a, b, c, offsets, n, k, true, 0f, Simd.Best, threads: 2); // past JIT tiering
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 10; i++) GroupedGemm.Multiply(a, b, c, offsets, n, k, true, 0f, Simd.Best, threads: 2);
        }, repeats: 1));
    }

    [Fact]
    public void Multiply_WrongLengthB_ThrowsNamingSizes()
    {
        int[] offsets = [0, 2, 5];
        var e = Assert.Throws<ArgumentException>(() => GroupedGemm.Multiply(new float[5 * 3], new float[10], new float[5 * 4], offsets, 4, 3));
        Assert.Equal("b", e.ParamName);
        Assert.Contains("10", e.Message);
        Assert.Contains("24", e.Message);
    }

    [Fact]
    public void Multiply_WrongLengthA_ThrowsNamingSizes()
    {
        int[] offsets = [0, 2, 5];
        var e = Assert.Throws<ArgumentException>(() => GroupedGemm.Multiply(new float[14], new float[24], new float[20], offsets, 4, 3));
        Assert.Equal("a", e.ParamName);
        Assert.Contains("5×3", e.Message);
    }

    [Fact]
    public void Multiply_DecreasingOffsets_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => GroupedGemm.Multiply(new float[6], new float[24], new float[8], [0, 3, 2], 4, 3));
        Assert.Equal("offsets", e.ParamName);
        Assert.Contains("3 > offsets[2] = 2", e.Message);
    }

    [Fact]
    public void MultiplyTransposeA_WrongLengthDb_ThrowsNamingSizes()
    {
        int[] offsets = [0, 2, 5];
        var e = Assert.Throws<ArgumentException>(() => GroupedGemm.MultiplyTransposeA(new float[15], new float[20], new float[23], offsets, 3, 4));
        Assert.Equal("db", e.ParamName);
        Assert.Contains("23", e.Message);
        Assert.Contains("24", e.Message);
    }
}
