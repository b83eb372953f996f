using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;
using static Switchyard.Tests.Tensors.Kernels.ElementwiseTestData;

namespace Switchyard.Tests.Tensors.Kernels;

// Sigmoid, Tanh, Exp, Log and Clamp share their test shape: forward and backward of each width
// against the double reference, and the double reference backward against central differences.
public class SigmoidTests
{
    public static TheoryData<SimdWidth, int> Cases() => WidthsAndLengths();

    [Theory, MemberData(nameof(Cases))]
    public void ForwardBackward_EachWidth_MatchesReference(SimdWidth width, int n)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(21);
        float[] x = Rand.Floats(rng, n, 8f), dy = Rand.Floats(rng, n), y = new float[n], dx = Rand.Floats(rng, n);
        double[] xd = Rand.ToDouble(x), e = new double[n], de = Rand.ToDouble(dx);
        Sigmoid.Forward(x, y, width);
        Sigmoid.ReferenceForward<double>(xd, e);
        AssertClose(e, y);
        Sigmoid.Backward(y, dy, dx, width);
        Sigmoid.ReferenceBackward<double>(xd, Rand.ToDouble(dy), de);
        AssertClose(de, dx);
    }

    [Fact]
    public void Forward_ExtremeInputs_SaturatesWithoutNaN()
    {
        float[] x = [-1000f, -100f, 100f, 1000f, 0f, -90f, 90f, 3f, -3f, 50f, -50f, 20f, -20f, 10f, -10f, 1f, 2f];
        foreach (SimdWidth w in Enum.GetValues<SimdWidth>())
        {
            if (!Simd.IsSupported(w)) continue;
            var y = new float[x.Length];
            Sigmoid.Forward(x, y, w);
            Assert.Equal(0f, y[0]); Assert.Equal(1f, y[3]); Assert.Equal(0.5f, y[4]);
            Assert.All(y, v => Assert.False(float.IsNaN(v)));
        }
    }

    [Fact]
    public void ReferenceBackward_MatchesCentralDifferences_InFloat64() =>
        CheckUnaryGradient((x, y) => Sigmoid.ReferenceForward<double>(x, y), (x, dy, dx) => Sigmoid.ReferenceBackward<double>(x, dy, dx),
            Rand.Doubles(new Rng(22), 41, 6));

    [Fact]
    public void Forward_BadLengths_Throws() => Assert.Throws<ArgumentException>(() => Sigmoid.Forward(new float[3], new float[4]));
}

public class TanhTests
{
    public static TheoryData<SimdWidth, int> Cases() => WidthsAndLengths();

    [Theory, MemberData(nameof(Cases))]
    public void ForwardBackward_EachWidth_MatchesReference(SimdWidth width, int n)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(31);
        float[] x = Rand.Floats(rng, n, 4f), dy = Rand.Floats(rng, n), y = new float[n], dx = Rand.Floats(rng, n);
        for (int i = 0; i < n; i += 3) x[i] *= 0.01f; // exercise the small-|x| series
        double[] xd = Rand.ToDouble(x), e = new double[n], de = Rand.ToDouble(dx);
        Tanh.Forward(x, y, width);
        Tanh.ReferenceForward<double>(xd, e);
        AssertClose(e, y);
        Tanh.Backward(y, dy, dx, width);
        Tanh.ReferenceBackward<double>(xd, Rand.ToDouble(dy), de);
        AssertClose(de, dx);
    }

    [Fact]
    public void Forward_ExtremeInputs_SaturatesWithoutNaN()
    {
        float[] x = [-1000f, -50f, 50f, 1000f, 0f, -0f, 1e-30f, 0.0625f, -0.0625f, 0.06f, 9f, -9f, 20f, -20f, 1f, -1f, 2f];
        foreach (SimdWidth w in Enum.GetValues<SimdWidth>())
        {
            if (!Simd.IsSupported(w)) continue;
            var y = new float[x.Length];
            Tanh.Forward(x, y, w);
            Assert.Equal(-1f, y[0]); Assert.Equal(1f, y[3]); Assert.Equal(0f, y[4]);
            for (int i = 0; i < x.Length; i++) Assert.Equal(Math.Tanh(x[i]), y[i], 1e-6);
        }
    }

    [Fact]
    public void ReferenceBackward_MatchesCentralDifferences_InFloat64() =>
        CheckUnaryGradient((x, y) => Tanh.ReferenceForward<double>(x, y), (x, dy, dx) => Tanh.ReferenceBackward<double>(x, dy, dx),
            Rand.Doubles(new Rng(32), 41, 3));
}

public class ExpTests
{
    public static TheoryData<SimdWidth, int> Cases() => WidthsAndLengths();

    [Theory, MemberData(nameof(Cases))]
    public void ForwardBackward_EachWidth_MatchesReference(SimdWidth width, int n)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(41);
        float[] x = Rand.Floats(rng, n, 10f), dy = Rand.Floats(rng, n), y = new float[n], dx = Rand.Floats(rng, n);
        double[] xd = Rand.ToDouble(x), e = new double[n], de = Rand.ToDouble(dx);
        Exp.Forward(x, y, width);
        Exp.ReferenceForward<double>(xd, e);
        AssertClose(e, y);
        Exp.Backward(y, dy, dx, width);
        Exp.ReferenceBackward<double>(xd, Rand.ToDouble(dy), de);
        AssertClose(de, dx);
    }

    [Fact]
    public void ReferenceBackward_MatchesCentralDifferences_InFloat64() =>
        CheckUnaryGradient((x, y) => Exp.ReferenceForward<double>(x, y), (x, dy, dx) => Exp.ReferenceBackward<double>(x, dy, dx),
            Rand.Doubles(new Rng(42), 41, 2));
}

public class LogTests
{
    public static TheoryData<SimdWidth, int> Cases() => WidthsAndLengths();

    [Theory, MemberData(nameof(Cases))]
    public void ForwardBackward_EachWidth_MatchesReference(SimdWidth width, int n)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(51);
        float[] x = new float[n], dy = Rand.Floats(rng, n), y = new float[n], dx = Rand.Floats(rng, n);
        rng.FillUniform(x, 0.01f, 50f);
        double[] xd = Rand.ToDouble(x), e = new double[n], de = Rand.ToDouble(dx);
        Log.Forward(x, y, width);
        Log.ReferenceForward<double>(xd, e);
        AssertClose(e, y);
        Log.Backward(x, dy, dx, width);
        Log.ReferenceBackward<double>(xd, Rand.ToDouble(dy), de);
        AssertClose(de, dx);
    }

    [Fact]
    public void ReferenceBackward_MatchesCentralDifferences_InFloat64()
    {
        double[] x = Rand.Doubles(new Rng(52), 41, 2);
        for (int i = 0; i < x.Length; i++) x[i] = Math.Abs(x[i]) + 0.1;
        CheckUnaryGradient((v, y) => Log.ReferenceForward<double>(v, y), (v, dy, dx) => Log.ReferenceBackward<double>(v, dy, dx), x);
    }
}

public class ClampTests
{
    public static TheoryData<SimdWidth, int> Cases() => WidthsAndLengths();

    [Theory, MemberData(nameof(Cases))]
    public void ForwardBackward_EachWidth_MatchesReference(SimdWidth width, int n)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(61);
        float[] x = Rand.Floats(rng, n, 2f), dy = Rand.Floats(rng, n), y = new float[n], dx = Rand.Floats(rng, n);
        if (n > 2) { x[0] = -0.5f; x[1] = 1f; } // the bounds themselves pass the gradient
        double[] xd = Rand.ToDouble(x), e = new double[n], de = Rand.ToDouble(dx);
        Clamp.Forward(x, y, -0.5f, 1f, width);
        Clamp.ReferenceForward<double>(xd, e, -0.5, 1);
        AssertClose(e, y);
        Clamp.Backward(x, dy, dx, -0.5f, 1f, width);
        Clamp.ReferenceBackward<double>(xd, Rand.ToDouble(dy), de, -0.5, 1);
        AssertClose(de, dx);
    }

    [Fact]
    public void ReferenceBackward_MatchesCentralDifferences_InFloat64()
    {
        double[] x = Rand.Doubles(new Rng(62), 41, 2);
        for (int i = 0; i < x.Length; i++)
            if (Math.Abs(Math.Abs(x[i]) - 1) < 1e-3) x[i] = 0; // central differences are undefined at the kinks
        CheckUnaryGradient((v, y) => Clamp.ReferenceForward<double>(v, y, -1, 1), (v, dy, dx) => Clamp.ReferenceBackward<double>(v, dy, dx, -1, 1), x);
    }

    [Fact]
    public void Forward_MinAboveMax_Throws() => Assert.Throws<ArgumentException>(() => Clamp.Forward(new float[3], new float[3], 2f, 1f));
}
