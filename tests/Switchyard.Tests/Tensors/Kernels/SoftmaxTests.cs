using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;
using static Switchyard.Tests.Tensors.Kernels.RowOpsTestData;

namespace Switchyard.Tests.Tensors.Kernels;

public class SoftmaxTests
{
    public static TheoryData<SimdWidth, int, int> Cases => WidthsAndShapes();

    [Theory, MemberData(nameof(Cases))]
    public void Forward_RandomShapes_MatchesReference(SimdWidth width, int rows, int cols)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        float[] x = Rand.Floats(new Rng(1), rows * cols, scale: 6f);
        var y = new float[x.Length];
        var expected = new double[x.Length];

        Softmax.Forward(x, y, rows, cols, width, threads: 3);
        Softmax.ReferenceForward<double>(Rand.ToDouble(x), expected, rows, cols);

        // The float sum over a row is the main error: ~1e-7 per term, 16 lanes deep.
        AssertClose(expected, y, rel: 5e-6, abs: 1e-12, "y");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Backward_RandomShapes_MatchesReferenceAndAccumulates(SimdWidth width, int rows, int cols)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(2);
        float[] x = Rand.Floats(rng, rows * cols, scale: 4f), dy = Rand.Floats(rng, x.Length), dx = Rand.Floats(rng, x.Length);
        var y = new float[x.Length];
        Softmax.Forward(x, y, rows, cols, width, threads: 1);
        double[] expected = Rand.ToDouble(dx);

        Softmax.Backward(y, dy, dx, rows, cols, width, threads: 3);
        Softmax.ReferenceBackward<double>(Rand.ToDouble(y), Rand.ToDouble(dy), expected, rows, cols);

        AssertClose(expected, dx, rel: 1e-5, abs: 1e-6, "dx");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(2, 17)]
    public void ReferenceBackward_MatchesCentralDifferences_InFloat64(int rows, int cols)
    {
        var rng = new Rng(3);
        double[] x = Rand.Doubles(rng, rows * cols, scale: 3), w = Rand.Doubles(rng, x.Length);
        var y = new double[x.Length];
        Softmax.ReferenceForward<double>(x, y, rows, cols);
        var dx = new double[x.Length];

        Softmax.ReferenceBackward<double>(y, w, dx, rows, cols);
        double[] numeric = GradCheck.Numeric(v =>
        {
            var out_ = new double[v.Length];
            Softmax.ReferenceForward<double>(v, out_, rows, cols);
            return GradCheck.Dot(w, out_);
        }, x);

        GradCheck.AssertClose(numeric, dx, 1e-6, "dx");
    }

    [Fact]
    public void Forward_ManyThreads_BitIdenticalAcrossRunsAndThreadCounts()
    {
        const int rows = 256, cols = 300;
        float[] x = Rand.Floats(new Rng(4), rows * cols, scale: 8f);
        float[] dy = Rand.Floats(new Rng(5), rows * cols);
        float[] first = new float[x.Length], again = new float[x.Length], single = new float[x.Length];
        float[] dx1 = new float[x.Length], dx2 = new float[x.Length], dxSingle = new float[x.Length];

        Softmax.Forward(x, first, rows, cols, Simd.Best, threads: 4);
        Softmax.Forward(x, again, rows, cols, Simd.Best, threads: 4);
        Softmax.Forward(x, single, rows, cols, Simd.Best, threads: 1);
        Softmax.Backward(first, dy, dx1, rows, cols, Simd.Best, threads: 4);
        Softmax.Backward(first, dy, dx2, rows, cols, Simd.Best, threads: 4);
        Softmax.Backward(first, dy, dxSingle, rows, cols, Simd.Best, threads: 1);

        // Rows are independent, so even the thread count cannot change a bit.
        AssertBitIdentical(first, again);
        AssertBitIdentical(first, single);
        AssertBitIdentical(dx1, dx2);
        AssertBitIdentical(dx1, dxSingle);
    }

    [Theory, MemberData(nameof(Widths))]
    public void Forward_MaskedLogits_GiveExactZerosAndNoNaN(SimdWidth width)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        const int cols = 37;
        float[] x = Rand.Floats(new Rng(6), 2 * cols, scale: 3f);
        for (int c = 0; c < cols; c += 3) x[c] = float.NegativeInfinity;
        for (int c = cols; c < 2 * cols; c++) x[c] = float.NegativeInfinity; // fully masked row
        var y = new float[x.Length];

        Softmax.Forward(x, y, 2, cols, width, threads: 1);

        double sum = 0;
        for (int c = 0; c < cols; c++)
        {
            Assert.False(float.IsNaN(y[c]));
            if (c % 3 == 0) Assert.Equal(0f, y[c]);
            sum += y[c];
        }
        Assert.Equal(1.0, sum, 1e-6);
        for (int c = cols; c < 2 * cols; c++) Assert.Equal(0f, y[c]);
    }

    [Theory, MemberData(nameof(Widths))]
    public void Forward_EqualLogits_GiveExactlyEqualProbabilities(SimdWidth width)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var x = new float[40];
        Array.Fill(x, 3.25f);
        var y = new float[40];

        Softmax.Forward(x, y, 1, 40, width, threads: 1);

        foreach (float p in y) Assert.Equal(1f / 40f, p);
    }

    [Theory, MemberData(nameof(Widths))]
    public void Forward_HugeLogitsInPlace_NoOverflow(SimdWidth width)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        float[] x = [1e4f, 1e4f - 1f, -1e4f, 1e4f - 2f, 5e3f];
        double[] expected = new double[5];
        Softmax.ReferenceForward<double>(Rand.ToDouble(x), expected, 1, 5);

        Softmax.Forward(x, x, 1, 5, width, threads: 1); // in place

        AssertClose(expected, x, rel: 1e-6, abs: 1e-30, "y");
    }

    [Fact]
    public void Forward_PublicEntry_MatchesBestWidth()
    {
        float[] x = Rand.Floats(new Rng(7), 3 * 50, scale: 2f);
        float[] a = new float[x.Length], b = new float[x.Length];
        Softmax.Forward(x, a, 3, 50);
        Softmax.Forward(x, b, 3, 50, Simd.Best, ParallelRunner.Threads);
        AssertBitIdentical(b, a);
    }

    [Fact]
    public void ForwardAndBackward_BadLengths_Throw()
    {
        float[] six = new float[6], five = new float[5];
        var e = Assert.Throws<ArgumentException>(() => Softmax.Forward(five, six, 2, 3));
        Assert.Equal("x", e.ParamName);
        Assert.Contains("5", e.Message);
        Assert.Contains("6", e.Message);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Softmax.Forward(six, five, 2, 3)).ParamName);
        Assert.Equal("dy", Assert.Throws<ArgumentException>(() => Softmax.Backward(six, five, six, 2, 3)).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => Softmax.Backward(six, six, five, 2, 3)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Softmax.Forward(six, six, -2, -3));
    }

    [Fact]
    public void Forward_ZeroRows_DoesNothing()
    {
        Softmax.Forward([], [], 0, 5);
        Softmax.Backward([], [], [], 3, 0);
    }

    public static TheoryData<SimdWidth> Widths => [.. AllWidths];
}
