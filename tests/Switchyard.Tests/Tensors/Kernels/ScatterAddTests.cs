using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;
using static Switchyard.Tests.Tensors.Kernels.RowOpsTestData;

namespace Switchyard.Tests.Tensors.Kernels;

public class ScatterAddTests
{
    public static TheoryData<SimdWidth, int, int, int> Cases => WidthsAndGatherShapes();

    [Theory, MemberData(nameof(Cases))]
    public void Rows_WithAndWithoutWeights_MatchesReferenceAndAccumulates(SimdWidth width, int n, int rowWidth, int dstRows)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(51);
        float[] src = Rand.Floats(rng, n * rowWidth), weights = Rand.Floats(rng, n), dst = Rand.Floats(rng, dstRows * rowWidth);
        int[] indices = Indices(rng, n, dstRows);
        float[] plain = (float[])dst.Clone();
        double[] expected = Rand.ToDouble(dst), expectedPlain = Rand.ToDouble(dst);

        ScatterAdd.Rows(src, indices, weights, dst, rowWidth, width, threads: 3);
        ScatterAdd.Rows(src, indices, [], plain, rowWidth, width, threads: 3);
        ScatterAdd.ReferenceForward<double>(Rand.ToDouble(src), indices, Rand.ToDouble(weights), expected, rowWidth);
        ScatterAdd.ReferenceForward<double>(Rand.ToDouble(src), indices, [], expectedPlain, rowWidth);

        double abs = 1e-6 * Math.Sqrt(1 + n / (double)dstRows);
        AssertClose(expected, dst, rel: 1e-6, abs, "dst");
        AssertClose(expectedPlain, plain, rel: 1e-6, abs, "dst (no weights)");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Backward_BothGradients_MatchReferenceAndAccumulate(SimdWidth width, int n, int rowWidth, int dstRows)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(52);
        float[] src = Rand.Floats(rng, n * rowWidth), weights = Rand.Floats(rng, n), dDst = Rand.Floats(rng, dstRows * rowWidth);
        float[] dSrc = Rand.Floats(rng, n * rowWidth), dWeights = Rand.Floats(rng, n);
        int[] indices = Indices(rng, n, dstRows);
        double[] expectedSrc = Rand.ToDouble(dSrc), expectedWeights = Rand.ToDouble(dWeights);

        ScatterAdd.BackwardSource(dDst, indices, weights, dSrc, rowWidth, width, threads: 3);
        ScatterAdd.BackwardWeights(src, indices, dDst, dWeights, rowWidth, width, threads: 3);
        ScatterAdd.ReferenceBackward<double>(Rand.ToDouble(src), indices, Rand.ToDouble(weights), Rand.ToDouble(dDst), expectedSrc, expectedWeights, rowWidth);

        AssertClose(expectedSrc, dSrc, rel: 1e-6, abs: 1e-7, "dSrc");
        AssertClose(expectedWeights, dWeights, rel: 1e-5, abs: 1e-6 * Math.Sqrt(rowWidth), "dWeights");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReferenceBackward_MatchesCentralDifferences_InFloat64(bool weighted)
    {
        // Given repeated destinations, and the gradient of Σ u·dst with respect to src and weights
        var rng = new Rng(53);
        const int width = 4, dstRows = 3;
        int[] indices = [2, 0, 2, 2, 1];
        int n = indices.Length;
        double[] src = Rand.Doubles(rng, n * width), weights = weighted ? Rand.Doubles(rng, n) : [];
        double[] dst0 = Rand.Doubles(rng, dstRows * width), u = Rand.Doubles(rng, dstRows * width);
        double[] dSrc = new double[src.Length], dWeights = new double[weights.Length];

        // When
        ScatterAdd.ReferenceBackward<double>(src, indices, weights, u, dSrc, dWeights, width);
        double Loss(double[] s, double[] w)
        {
            var dst = (double[])dst0.Clone();
            ScatterAdd.ReferenceForward<double>(s, indices, w, dst, width);
            return GradCheck.Dot(u, dst);
        }

        // Then
        GradCheck.AssertClose(GradCheck.Numeric(s => Loss(s, weights), src), dSrc, 1e-6, "dSrc");
        if (weighted) GradCheck.AssertClose(GradCheck.Numeric(w => Loss(src, w), weights), dWeights, 1e-6, "dWeights");
    }

    [Fact]
    public void Rows_ManyThreads_BitIdenticalToSequentialIndexOrder()
    {
        // Given many source rows per destination (MoE combine: top-k outputs per token), big enough to split
        const int n = 4000, width = 40, dstRows = 61;
        var rng = new Rng(54);
        float[] src = Rand.Floats(rng, n * width), weights = Rand.Floats(rng, n);
        int[] indices = Indices(rng, n, dstRows);
        float[] parallel = new float[dstRows * width], again = new float[dstRows * width], sequential = new float[dstRows * width];

        // When
        ScatterAdd.Rows(src, indices, weights, parallel, width, SimdWidth.Scalar, threads: 4);
        ScatterAdd.Rows(src, indices, weights, again, width, SimdWidth.Scalar, threads: 4);
        for (int i = 0; i < n; i++)
            for (int c = 0; c < width; c++) sequential[indices[i] * width + c] += weights[i] * src[i * width + c];

        // Then: partitioned by destination, never racing
        AssertBitIdentical(sequential, parallel);
        AssertBitIdentical(parallel, again);
        float[] best = new float[dstRows * width], bestOne = new float[dstRows * width];
        ScatterAdd.Rows(src, indices, weights, best, width, Simd.Best, threads: 4);
        ScatterAdd.Rows(src, indices, weights, bestOne, width, Simd.Best, threads: 1);
        AssertBitIdentical(bestOne, best);
    }

    [Fact]
    public void Backward_ManyThreads_BitIdenticalAcrossThreadCounts()
    {
        const int n = 4000, width = 40, dstRows = 61;
        var rng = new Rng(55);
        float[] src = Rand.Floats(rng, n * width), weights = Rand.Floats(rng, n), dDst = Rand.Floats(rng, dstRows * width);
        int[] indices = Indices(rng, n, dstRows);
        float[] dSrc4 = new float[src.Length], dSrc1 = new float[src.Length], dW4 = new float[n], dW1 = new float[n];

        ScatterAdd.BackwardSource(dDst, indices, weights, dSrc4, width, Simd.Best, threads: 4);
        ScatterAdd.BackwardSource(dDst, indices, weights, dSrc1, width, Simd.Best, threads: 1);
        ScatterAdd.BackwardWeights(src, indices, dDst, dW4, width, Simd.Best, threads: 4);
        ScatterAdd.BackwardWeights(src, indices, dDst, dW1, width, Simd.Best, threads: 1);

        AssertBitIdentical(dSrc1, dSrc4);
        AssertBitIdentical(dW1, dW4);
    }

    [Fact]
    public void PublicEntries_SmallExample_ComputeByHand()
    {
        float[] src = [1, 2, 3, 4, 5, 6], dst = new float[4];
        int[] indices = [1, 0, 1];
        float[] weights = [2, 3, -1];

        ScatterAdd.Rows(src, indices, weights, dst, 2);
        Assert.Equal([9f, 12f, -3f, -2f], dst); // row 0: 3·(3,4); row 1: 2·(1,2) − (5,6)

        float[] dDst = [1, 0, 0, 1], dSrc = new float[6], dWeights = new float[3];
        ScatterAdd.BackwardSource(dDst, indices, weights, dSrc, 2);
        ScatterAdd.BackwardWeights(src, indices, dDst, dWeights, 2);
        Assert.Equal([0f, 2f, 3f, 0f, 0f, -1f], dSrc);
        Assert.Equal([2f, 3f, 6f], dWeights);
    }

    [Fact]
    public void AllEntries_IndexOutOfRange_ThrowNamingPositionAndValue()
    {
        float[] src = new float[6], dst = new float[4];

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ScatterAdd.Rows(src, [0, 1, 2], [], dst, 2));
        Assert.Equal("indices", e.ParamName);
        Assert.Contains("indices[2] = 2", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ScatterAdd.BackwardSource(dst, [0, -5, 1], [], src, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ScatterAdd.BackwardWeights(src, [9, 0, 1], dst, new float[3], 2));
    }

    [Fact]
    public void AllEntries_BadLengths_ThrowNamingParameter()
    {
        float[] six = new float[6], four = new float[4], five = new float[5];
        int[] idx = [0, 1, 1];
        Assert.Equal("src", Assert.Throws<ArgumentException>(() => ScatterAdd.Rows(five, idx, [], four, 2)).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => ScatterAdd.Rows(six, idx, new float[2], four, 2)).ParamName);
        Assert.Equal("dst", Assert.Throws<ArgumentException>(() => ScatterAdd.Rows(six, idx, [], five, 2)).ParamName);
        Assert.Equal("dDst", Assert.Throws<ArgumentException>(() => ScatterAdd.BackwardSource(five, idx, [], six, 2)).ParamName);
        Assert.Equal("dSrc", Assert.Throws<ArgumentException>(() => ScatterAdd.BackwardSource(four, idx, [], five, 2)).ParamName);
        Assert.Equal("dWeights", Assert.Throws<ArgumentException>(() => ScatterAdd.BackwardWeights(six, idx, four, new float[2], 2)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => ScatterAdd.Rows(six, idx, [], four, 0));
    }
}
