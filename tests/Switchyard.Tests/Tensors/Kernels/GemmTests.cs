using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Tensors.Kernels;

public class GemmTests
{
    // (m, n, k): odd sizes, every edge of the 8×32 / 6×16 / 4×4 tiles, the direct path (< 32k
    // multiply-adds) and the packed one, a depth past KC = 256, rows past MC, columns past NC = 1024.
    static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (3, 7, 17), (17, 31, 33), (33, 65, 63), (65, 63, 100), (7, 100, 65),
        (33, 65, 300), (200, 40, 70), (9, 1100, 20), (1, 300, 200),
    ];

    public static TheoryData<SimdWidth, bool, bool> WidthsAndVariants()
    {
        var data = new TheoryData<SimdWidth, bool, bool>();
        foreach (SimdWidth w in Enum.GetValues<SimdWidth>())
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    data.Add(w, ta, tb);
        return data;
    }

    [Theory, MemberData(nameof(WidthsAndVariants))]
    public void Multiply_RandomShapesAndBetas_MatchesDoubleReference(SimdWidth width, bool transA, bool transB)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(20240601);
        foreach (var (m, n, k) in Shapes)
        {
            foreach (float beta in new[] { 0f, 1f, 0.5f })
            {
                float[] a = Rand.Floats(rng, m * k), b = Rand.Floats(rng, k * n), c = Rand.Floats(rng, m * n);
                double[] expected = Rand.ToDouble(c);
                Gemm.Reference<double>(Rand.ToDouble(a), Rand.ToDouble(b), expected, m, n, k, transA, transB, beta);
                Gemm.Multiply(a, b, c, m, n, k, transA, transB, beta, width, threads: 2);
                AssertClose(expected, c, k, $"{width} m={m} n={n} k={k} tA={transA} tB={transB} beta={beta}");
            }
        }
    }

    // Rows past MC take the blocked path; its macro-kernel walks tiles row by row when the packed
    // B block (kc×nc) is at most half a KC×NC block, else column by column: n = 530 with k = 260
    // gives a 256×530 block (column order) and a 4×530 one (row order) in the same product.
    [Theory]
    [InlineData(SimdWidth.V512)]
    [InlineData(SimdWidth.V256)]
    [InlineData(SimdWidth.Scalar)]
    public void Multiply_BlockedPathBothTileOrders_MatchesDoubleReference(SimdWidth width)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(20240602);
        const int m = 197, n = 530, k = 260;
        foreach (var (ta, tb) in new[] { (false, false), (true, true) })
        {
            float[] a = Rand.Floats(rng, m * k), b = Rand.Floats(rng, k * n), c = Rand.Floats(rng, m * n);
            double[] expected = Rand.ToDouble(c);
            Gemm.Reference<double>(Rand.ToDouble(a), Rand.ToDouble(b), expected, m, n, k, ta, tb, 0.5);
            Gemm.Multiply(a, b, c, m, n, k, ta, tb, 0.5f, width, threads: 1);
            AssertClose(expected, c, k, $"{width} m={m} n={n} k={k} tA={ta} tB={tb}");
        }
    }

    [Fact]
    public void Multiply_BetaZero_IgnoresNaNInC()
    {
        var rng = new Rng(3);
        const int m = 40, n = 70, k = 50; // packed path
        float[] a = Rand.Floats(rng, m * k), b = Rand.Floats(rng, k * n), c = new float[m * n];
        Array.Fill(c, float.NaN);
        Gemm.Multiply(a, b, c, m, n, k);
        Assert.All(c, x => Assert.True(float.IsFinite(x)));
    }

    [Fact]
    public void Multiply_ZeroDepth_ScalesC()
    {
        float[] c = [1f, 2f, 3f, 4f];
        Gemm.Multiply([], [], c, 2, 2, 0, beta: 0.5f);
        Assert.Equal([0.5f, 1f, 1.5f, 2f], c);
    }

    [Fact]
    public void Multiply_Threads2_IsBitIdenticalAcrossRunsAndThreadCounts()
    {
        // Given a product big enough to split into several parts (~10M multiply-adds)
        var rng = new Rng(11);
        const int m = 131, n = 257, k = 300;
        float[] a = Rand.Floats(rng, m * k), b = Rand.Floats(rng, n * k);
        float[] first = new float[m * n], again = new float[m * n];
        // When it runs three times with 2 threads, then with 1, 3 and 4
        Gemm.Multiply(a, b, first, m, n, k, false, true, 0f, Simd.Best, threads: 2);
        for (int run = 0; run < 2; run++)
        {
            Gemm.Multiply(a, b, again, m, n, k, false, true, 0f, Simd.Best, threads: 2);
            Assert.Equal(first, again);
        }
        foreach (int threads in new[] { 1, 3, 4 })
        {
            Gemm.Multiply(a, b, again, m, n, k, false, true, 0f, Simd.Best, threads);
            Assert.Equal(first, again);
        }
        // Then the result is also right
        double[] expected = new double[m * n];
        Gemm.Reference<double>(Rand.ToDouble(a), Rand.ToDouble(b), expected, m, n, k, false, true, 0.0);
        AssertClose(expected, first, k, "threads");
    }

    [Fact]
    public void Multiply_SteadyState_AllocatesNothing()
    {
        var rng = new Rng(5);
        const int m = 64, n = 128, k = 96;
        float[] a = Rand.Floats(rng, m * k), b = Rand.Floats(rng, k * n), c = new float[m * n];
        for (int i = 0; i < 300; i++) Gemm.Multiply(a, b, c, m, n, k); // past tiering (JIT work is not steady state)
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 10; i++) Gemm.Multiply(a, b, c, m, n, k);
        }, repeats: 1));
    }

    [Fact]
    public void Multiply_WrongLengthA_ThrowsNamingSizes()
    {
        var e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[5], new float[6], new float[4], 2, 2, 3));
        Assert.Equal("a", e.ParamName);
        Assert.Contains("5", e.Message);
        Assert.Contains("2×3", e.Message);
    }

    [Fact]
    public void Multiply_WrongLengthB_ThrowsNamingSizes()
    {
        var e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[6], new float[7], new float[4], 2, 2, 3, transB: true));
        Assert.Equal("b", e.ParamName);
        Assert.Contains("7", e.Message);
        Assert.Contains("2×3", e.Message);
    }

    [Fact]
    public void Multiply_WrongLengthC_ThrowsNamingSizes()
    {
        var e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[6], new float[6], new float[3], 2, 2, 3));
        Assert.Equal("c", e.ParamName);
        Assert.Contains("3", e.Message);
        Assert.Contains("2×2", e.Message);
    }

    [Fact]
    public void Multiply_NegativeSize_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply([], [], [], -1, 0, 0));

    /// <summary>
    /// |got − expected| ≤ 1e-6·(k + 4)·(Σₚ|aᵢₚ·bₚⱼ| + |β·c|), a bound on float32 rounding in
    /// any summation order; an indexing bug misses by O(1) of that scale.
    /// </summary>
    internal static void AssertClose(double[] expected, float[] actual, int k, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 0;
        foreach (double e in expected) scale = Math.Max(scale, Math.Abs(e));
        // Inputs are uniform in [-1, 1): each |term| ≤ 1, so k + |c| bounds the absolute sum.
        double bound = 1e-6 * (k + 4) * (k + 1.0);
        for (int i = 0; i < expected.Length; i++)
        {
            if (!(Math.Abs(expected[i] - actual[i]) <= bound))
                Assert.Fail($"{what}: [{i}] expected {expected[i]:R}, got {actual[i]:R} (bound {bound:G3}, max |expected| {scale:G3})");
        }
    }
}
