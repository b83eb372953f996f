using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;
using static Switchyard.Tests.Tensors.Kernels.RowOpsTestData;

namespace Switchyard.Tests.Tensors.Kernels;

public class TopKTests
{
    public static TheoryData<SimdWidth> Widths => [.. AllWidths];

    public static TheoryData<SimdWidth, int, int, int> Cases()
    {
        var data = new TheoryData<SimdWidth, int, int, int>();
        foreach (var w in AllWidths)
            foreach (var (rows, cols) in Shapes)
                foreach (int k in new[] { 1, 2, 8, 17, 40, cols })
                    if (k <= cols) data.Add(w, rows, cols, k);
        return data;
    }

    static (int[] Indices, float[] Values) Run(float[] x, int rows, int cols, int k, SimdWidth width, int threads = 3)
    {
        int[] indices = new int[rows * k];
        float[] values = new float[rows * k];
        TopK.Rows(x, rows, cols, k, indices, values, width, threads);
        return (indices, values);
    }

    static void AssertMatchesReference(float[] x, int rows, int cols, int k, SimdWidth width)
    {
        var (indices, values) = Run(x, rows, cols, k, width);
        int[] expectedIdx = new int[rows * k];
        float[] expectedVal = new float[rows * k];
        TopK.Reference(x, rows, cols, k, expectedIdx, expectedVal);
        Assert.Equal(expectedIdx, indices);
        AssertBitIdentical(expectedVal, values);
    }

    [Theory, MemberData(nameof(Cases))]
    public void Rows_RandomValues_MatchesFullSort(SimdWidth width, int rows, int cols, int k)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        float[] x = Rand.Floats(new Rng(31), rows * cols, scale: 3f);
        AssertMatchesReference(x, rows, cols, k, width);
    }

    [Theory, MemberData(nameof(Cases))]
    public void Rows_ManyTies_LowerIndexFirst(SimdWidth width, int rows, int cols, int k)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        // Four distinct values: nearly every comparison is a tie.
        float[] x = Rand.Floats(new Rng(32), rows * cols, scale: 2f);
        for (int i = 0; i < x.Length; i++) x[i] = MathF.Round(x[i]);
        AssertMatchesReference(x, rows, cols, k, width);
    }

    [Theory]
    [InlineData(SimdWidth.Scalar, 1)]
    [InlineData(SimdWidth.V256, 8)]
    [InlineData(SimdWidth.V512, 1)]
    [InlineData(SimdWidth.V512, 50)]
    [InlineData(SimdWidth.V512, 1000)]
    [InlineData(SimdWidth.V256, 1000)]
    public void Rows_VocabularySizedRows_MatchesFullSort(SimdWidth width, int k)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        const int rows = 2, cols = 50_257;
        float[] x = Rand.Floats(new Rng(33), rows * cols, scale: 10f);
        AssertMatchesReference(x, rows, cols, k, width);
    }

    [Theory, MemberData(nameof(Widths))]
    public void Rows_AscendingRow_EveryColumnEntersAndResultIsSorted(SimdWidth width)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        const int cols = 300;
        var x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = i * 0.5f;
        foreach (int k in new[] { 1, 3, 16, 17, 64 })
            AssertMatchesReference(x, 1, cols, k, width);
    }

    [Theory, MemberData(nameof(Widths))]
    public void Rows_AllEqual_PicksLowestIndices(SimdWidth width)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var x = new float[64];
        Array.Fill(x, 0.125f);
        var (small, _) = Run(x, 1, 64, 8, width);
        var (large, _) = Run(x, 1, 64, 20, width);
        Assert.Equal(Enumerable.Range(0, 8), small);
        Assert.Equal(Enumerable.Range(0, 20), large);
    }

    [Theory, MemberData(nameof(Widths))]
    public void Rows_SpecialValues_NaNFirstZerosEqualMinusInfinityLast(SimdWidth width)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        const int cols = 40;
        var x = new float[cols];
        Array.Fill(x, float.NegativeInfinity);
        x[3] = -0f; x[5] = 0f; x[20] = float.NaN; x[30] = float.PositiveInfinity; x[33] = -0f; x[39] = float.NaN;

        foreach (int k in new[] { 6, 18 })
        {
            var (indices, values) = Run(x, 1, cols, k, width);
            Assert.Equal([20, 39, 30, 3, 5, 33], indices[..6]);
            Assert.True(float.IsNaN(values[0]) && float.IsNaN(values[1]));
            Assert.Equal(float.PositiveInfinity, values[2]);
            AssertMatchesReference(x, 1, cols, k, width);
        }
    }

    [Fact]
    public void Rows_ManyThreads_IdenticalAcrossRunsAndThreadCounts()
    {
        const int rows = 512, cols = 128, k = 4;
        float[] x = Rand.Floats(new Rng(34), rows * cols);
        var a = Run(x, rows, cols, k, Simd.Best, threads: 4);
        var b = Run(x, rows, cols, k, Simd.Best, threads: 4);
        var c = Run(x, rows, cols, k, Simd.Best, threads: 1);
        Assert.Equal(a.Indices, b.Indices);
        Assert.Equal(a.Indices, c.Indices);
        AssertBitIdentical(a.Values, c.Values);
    }

    [Fact]
    public void Rows_PublicEntry_MatchesReference()
    {
        float[] x = Rand.Floats(new Rng(35), 5 * 60);
        int[] indices = new int[10], expected = new int[10];
        float[] values = new float[10], expectedValues = new float[10];
        TopK.Rows(x, 5, 60, 2, indices, values);
        TopK.Reference(x, 5, 60, 2, expected, expectedValues);
        Assert.Equal(expected, indices);
    }

    [Fact]
    public void Rows_BadArguments_Throw()
    {
        float[] x = new float[6];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TopK.Rows(x, 2, 3, 4, new int[8], new float[8]));
        Assert.Equal("k", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => TopK.Rows(x, 2, 3, -1, [], []));
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => TopK.Rows(new float[5], 2, 3, 1, new int[2], new float[2])).ParamName);
        Assert.Equal("indices", Assert.Throws<ArgumentException>(() => TopK.Rows(x, 2, 3, 2, new int[3], new float[4])).ParamName);
        Assert.Equal("values", Assert.Throws<ArgumentException>(() => TopK.Rows(x, 2, 3, 2, new int[4], new float[3])).ParamName);
        TopK.Rows(x, 2, 3, 0, [], []); // k = 0 is valid and writes nothing
    }
}
