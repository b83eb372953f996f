using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;
using static Switchyard.Tests.Tensors.Kernels.RowOpsTestData;

namespace Switchyard.Tests.Tensors.Kernels;

public class LogSoftmaxTests
{
    public static TheoryData<SimdWidth, int, int> Cases => WidthsAndShapes();

    public static TheoryData<SimdWidth> Widths => [.. AllWidths];

    [Theory, MemberData(nameof(Cases))]
    public void Forward_RandomShapes_MatchesReference(SimdWidth width, int rows, int cols)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        float[] x = Rand.Floats(new Rng(11), rows * cols, scale: 6f);
        var y = new float[x.Length];
        var expected = new double[x.Length];

        LogSoftmax.Forward(x, y, rows, cols, width, threads: 3);
        LogSoftmax.ReferenceForward<double>(Rand.ToDouble(x), expected, rows, cols);

        AssertClose(expected, y, rel: 1e-6, abs: 2e-6, "y");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Backward_RandomShapes_MatchesReferenceAndAccumulates(SimdWidth width, int rows, int cols)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(12);
        float[] x = Rand.Floats(rng, rows * cols, scale: 4f), dy = Rand.Floats(rng, x.Length), dx = Rand.Floats(rng, x.Length);
        var y = new float[x.Length];
        LogSoftmax.Forward(x, y, rows, cols, width, threads: 1);
        double[] expected = Rand.ToDouble(dx);

        LogSoftmax.Backward(y, dy, dx, rows, cols, width, threads: 3);
        LogSoftmax.ReferenceBackward<double>(Rand.ToDouble(y), Rand.ToDouble(dy), expected, rows, cols);

        // Σ dy over up to 600 terms, times e^y: absolute error grows with the row length.
        AssertClose(expected, dx, rel: 1e-5, abs: 2e-6 * Math.Sqrt(cols), "dx");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(2, 17)]
    public void ReferenceBackward_MatchesCentralDifferences_InFloat64(int rows, int cols)
    {
        var rng = new Rng(13);
        double[] x = Rand.Doubles(rng, rows * cols, scale: 3), w = Rand.Doubles(rng, x.Length);
        var y = new double[x.Length];
        LogSoftmax.ReferenceForward<double>(x, y, rows, cols);
        var dx = new double[x.Length];

        LogSoftmax.ReferenceBackward<double>(y, w, dx, rows, cols);
        double[] numeric = GradCheck.Numeric(v =>
        {
            var out_ = new double[v.Length];
            LogSoftmax.ReferenceForward<double>(v, out_, rows, cols);
            return GradCheck.Dot(w, out_);
        }, x);

        GradCheck.AssertClose(numeric, dx, 1e-6, "dx");
    }

    [Fact]
    public void ForwardAndBackward_ManyThreads_BitIdenticalAcrossRunsAndThreadCounts()
    {
        const int rows = 256, cols = 300;
        float[] x = Rand.Floats(new Rng(14), rows * cols, scale: 8f);
        float[] dy = Rand.Floats(new Rng(15), rows * cols);
        float[] first = new float[x.Length], again = new float[x.Length], single = new float[x.Length];
        float[] dx1 = new float[x.Length], dx2 = new float[x.Length], dxSingle = new float[x.Length];

        LogSoftmax.Forward(x, first, rows, cols, Simd.Best, threads: 4);
        LogSoftmax.Forward(x, again, rows, cols, Simd.Best, threads: 4);
        LogSoftmax.Forward(x, single, rows, cols, Simd.Best, threads: 1);
        LogSoftmax.Backward(first, dy, dx1, rows, cols, Simd.Best, threads: 4);
        LogSoftmax.Backward(first, dy, dx2, rows, cols, Simd.Best, threads: 4);
        LogSoftmax.Backward(first, dy, dxSingle, rows, cols, Simd.Best, threads: 1);

        AssertBitIdentical(first, again);
        AssertBitIdentical(first, single);
        AssertBitIdentical(dx1, dx2);
        AssertBitIdentical(dx1, dxSingle);
    }

    [Theory, MemberData(nameof(Widths))]
    public void ForwardAndBackward_MaskedLogits_GiveMinusInfinityAndFiniteGradients(SimdWidth width)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        const int cols = 37;
        float[] x = Rand.Floats(new Rng(16), 2 * cols, scale: 3f);
        for (int c = 0; c < cols; c += 3) x[c] = float.NegativeInfinity;
        for (int c = cols; c < 2 * cols; c++) x[c] = float.NegativeInfinity; // fully masked row
        var y = new float[x.Length];
        float[] dy = Rand.Floats(new Rng(17), x.Length), dx = new float[x.Length];

        LogSoftmax.Forward(x, y, 2, cols, width, threads: 1);
        LogSoftmax.Backward(y, dy, dx, 2, cols, width, threads: 1);

        double sum = 0;
        for (int c = 0; c < cols; c++)
        {
            if (c % 3 == 0) Assert.Equal(float.NegativeInfinity, y[c]);
            else Assert.True(float.IsFinite(y[c]));
            sum += Math.Exp(y[c]);
        }
        Assert.Equal(1.0, sum, 1e-6);
        for (int c = cols; c < 2 * cols; c++) Assert.Equal(float.NegativeInfinity, y[c]);
        foreach (float g in dx) Assert.True(float.IsFinite(g));
    }

    [Theory, MemberData(nameof(Widths))]
    public void Forward_HugeLogitsInPlace_KeepsPrecisionNearMax(SimdWidth width)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        float[] x = [1e4f, 1e4f - 1f, -1e4f, 1e4f - 2f, 5e3f];
        double[] expected = new double[5];
        LogSoftmax.ReferenceForward<double>(Rand.ToDouble(x), expected, 1, 5);

        LogSoftmax.Forward(x, x, 1, 5, width, threads: 1); // in place

        // (x − max) first: an absolute error of float eps, not of 1e4·eps.
        AssertClose(expected, x, rel: 1e-6, abs: 1e-6, "y");
    }

    [Fact]
    public void ForwardAndBackward_BadLengths_Throw()
    {
        float[] six = new float[6], five = new float[5];
        var e = Assert.Throws<ArgumentException>(() => LogSoftmax.Forward(five, six, 2, 3));
        Assert.Equal("x", e.ParamName);
        Assert.Contains("5", e.Message);
        Assert.Contains("6", e.Message);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => LogSoftmax.Forward(six, five, 2, 3)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => LogSoftmax.Backward(five, six, six, 2, 3)).ParamName);
        Assert.Equal("dy", Assert.Throws<ArgumentException>(() => LogSoftmax.Backward(six, five, six, 2, 3)).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => LogSoftmax.Backward(six, six, five, 2, 3)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => LogSoftmax.Forward(six, six, 2, -3));
    }

    [Fact]
    public void Forward_PublicEntry_MatchesBestWidth()
    {
        float[] x = Rand.Floats(new Rng(18), 3 * 50, scale: 2f);
        float[] a = new float[x.Length], b = new float[x.Length];
        LogSoftmax.Forward(x, a, 3, 50);
        LogSoftmax.Forward(x, b, 3, 50, Simd.Best, ParallelRunner.Threads);
        AssertBitIdentical(b, a);
    }
}
