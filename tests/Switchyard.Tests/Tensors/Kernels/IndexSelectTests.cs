using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;
using static Switchyard.Tests.Tensors.Kernels.RowOpsTestData;

namespace Switchyard.Tests.Tensors.Kernels;

public class IndexSelectTests
{
    public static TheoryData<SimdWidth, int, int, int> Cases => WidthsAndGatherShapes();

    [Theory, MemberData(nameof(Cases))]
    public void Forward_RandomIndices_CopiesTableRows(SimdWidth width, int n, int rowWidth, int tableRows)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(41);
        float[] table = Rand.Floats(rng, tableRows * rowWidth);
        int[] indices = Indices(rng, n, tableRows);
        var dst = new float[n * rowWidth];
        var expected = new float[n * rowWidth];

        IndexSelect.Forward(table, indices, dst, rowWidth, width, threads: 3);
        IndexSelect.ReferenceForward<float>(table, indices, expected, rowWidth);

        AssertBitIdentical(expected, dst);
    }

    [Theory, MemberData(nameof(Cases))]
    public void Backward_RepeatedIndices_MatchesReferenceAndAccumulates(SimdWidth width, int n, int rowWidth, int tableRows)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(42);
        float[] dDst = Rand.Floats(rng, n * rowWidth), dTable = Rand.Floats(rng, tableRows * rowWidth);
        int[] indices = Indices(rng, n, tableRows);
        double[] expected = Rand.ToDouble(dTable);

        IndexSelect.Backward(dDst, indices, dTable, rowWidth, width, threads: 3);
        IndexSelect.ReferenceBackward<double>(Rand.ToDouble(dDst), indices, expected, rowWidth);

        AssertClose(expected, dTable, rel: 1e-6, abs: 1e-6 * Math.Sqrt(1 + n / (double)tableRows), "dTable");
    }

    [Fact]
    public void ReferenceBackward_MatchesCentralDifferences_InFloat64()
    {
        var rng = new Rng(43);
        const int tableRows = 4, width = 5;
        int[] indices = [3, 0, 3, 3, 1, 0];
        double[] table = Rand.Doubles(rng, tableRows * width), w = Rand.Doubles(rng, indices.Length * width);
        var dTable = new double[table.Length];

        IndexSelect.ReferenceBackward<double>(w, indices, dTable, width);
        double[] numeric = GradCheck.Numeric(t =>
        {
            var dst = new double[indices.Length * width];
            IndexSelect.ReferenceForward<double>(t, indices, dst, width);
            return GradCheck.Dot(w, dst);
        }, table);

        GradCheck.AssertClose(numeric, dTable, 1e-6, "dTable");
    }

    [Fact]
    public void Backward_ManyThreads_BitIdenticalToSequentialIndexOrder()
    {
        // Given many hits per table row, large enough to run in parallel
        const int n = 3000, width = 48, tableRows = 37;
        var rng = new Rng(44);
        float[] dDst = Rand.Floats(rng, n * width);
        int[] indices = Indices(rng, n, tableRows);
        float[] parallel = new float[tableRows * width], again = new float[tableRows * width], sequential = new float[tableRows * width];

        // When
        IndexSelect.Backward(dDst, indices, parallel, width, SimdWidth.Scalar, threads: 4);
        IndexSelect.Backward(dDst, indices, again, width, SimdWidth.Scalar, threads: 4);
        for (int i = 0; i < n; i++)
            for (int c = 0; c < width; c++) sequential[indices[i] * width + c] += dDst[i * width + c];

        // Then each row sums its sources in index order, exactly as one thread would
        AssertBitIdentical(sequential, parallel);
        AssertBitIdentical(parallel, again);
        var best = new float[tableRows * width];
        var bestOne = new float[tableRows * width];
        IndexSelect.Backward(dDst, indices, best, width, Simd.Best, threads: 4);
        IndexSelect.Backward(dDst, indices, bestOne, width, Simd.Best, threads: 1);
        AssertBitIdentical(bestOne, best);
    }

    [Fact]
    public void ForwardAndBackward_IndexOutOfRange_ThrowsNamingPositionAndValue()
    {
        float[] table = new float[6], dst = new float[6];

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => IndexSelect.Forward(table, [0, 2, 3], dst, 2));
        Assert.Equal("indices", e.ParamName);
        Assert.Contains("indices[2] = 3", e.Message);
        Assert.Contains("indices[0] = -1", Assert.Throws<ArgumentOutOfRangeException>(() => IndexSelect.Backward(dst, [-1, 0, 0], table, 2)).Message);
    }

    [Fact]
    public void ForwardAndBackward_BadLengths_ThrowNamingParameter()
    {
        float[] six = new float[6], five = new float[5];
        Assert.Equal("table", Assert.Throws<ArgumentException>(() => IndexSelect.Forward(five, [0, 1], six, 3)).ParamName);
        Assert.Equal("dst", Assert.Throws<ArgumentException>(() => IndexSelect.Forward(six, [0, 1], five, 3)).ParamName);
        Assert.Equal("dDst", Assert.Throws<ArgumentException>(() => IndexSelect.Backward(five, [0, 1], six, 3)).ParamName);
        Assert.Equal("dTable", Assert.Throws<ArgumentException>(() => IndexSelect.Backward(six, [0, 1], five, 3)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => IndexSelect.Forward(six, [0], six, 0));
    }

    [Fact]
    public void Forward_PublicEntry_GathersRows()
    {
        float[] table = [1, 2, 3, 4, 5, 6];
        var dst = new float[6];
        IndexSelect.Forward(table, [2, 0, 2], dst, 2);
        Assert.Equal([5f, 6f, 1f, 2f, 5f, 6f], dst);
    }
}
