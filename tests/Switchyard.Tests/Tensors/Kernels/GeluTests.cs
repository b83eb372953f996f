using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;
using static Switchyard.Tests.Tensors.Kernels.ActivationTestSupport;

namespace Switchyard.Tests.Tensors.Kernels;

public class GeluTests
{
    public static TheoryData<SimdWidth, int, bool> Cases()
    {
        var data = new TheoryData<SimdWidth, int, bool>();
        foreach (var w in Widths)
            foreach (int n in Lengths)
            {
                data.Add(w, n, false);
                data.Add(w, n, true);
            }
        return data;
    }

    public static TheoryData<SimdWidth> AllWidthsData => AllWidths();

    // The tanh form's float argument 2u = x·(1.596 + 0.0714·x²) carries a few ulps of |2u|, which
    // e^(2u) turns into that much relative error: inherent to float evaluation, as in PyTorch.
    static double Bound(double x, double expected, bool approximateTanh)
    {
        double growth = approximateTanh ? Math.Abs(x * (1.5957691216057308 + 0.0713548162726 * x * x)) : 0;
        return 6e-7 * (1 + growth) * Math.Abs(expected) + 1e-37;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Forward_EachWidth_MatchesFloat64Reference(SimdWidth width, int n, bool approximateTanh)
    {
        SkipUnsupported(width);
        var rng = new Rng(21);
        float[] x = Rand.Floats(rng, n, 14f), y = new float[n];
        double[] expected = new double[n];
        Gelu.ReferenceForward<double>(Rand.ToDouble(x), expected, approximateTanh);

        Gelu.Forward(x, y, approximateTanh, width, threads: 1);

        AssertWithin(expected, y, i => Bound(x[i], expected[i], approximateTanh), "y");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Backward_EachWidth_AccumulatesReferenceGradient(SimdWidth width, int n, bool approximateTanh)
    {
        SkipUnsupported(width);
        var rng = new Rng(22);
        float[] x = Rand.Floats(rng, n, 8f), dy = Rand.Floats(rng, n), dx = Rand.Floats(rng, n);
        double[] expected = Rand.ToDouble(dx);
        Gelu.ReferenceBackward<double>(Rand.ToDouble(x), Rand.ToDouble(dy), expected, approximateTanh);

        Gelu.Backward(x, dy, dx, approximateTanh, width, threads: 1);

        // gelu' crosses 0 near x = −0.75: bound relative to the size of its terms.
        AssertWithin(expected, dx, i => 2e-6 * (Math.Abs(expected[i]) + Math.Abs(dy[i])), "dx");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReferenceBackward_MatchesCentralDifferences_InFloat64(bool approximateTanh)
    {
        var rng = new Rng(23);
        double[] x = Rand.Doubles(rng, 40, 5), up = Rand.Doubles(rng, 40), dx = new double[40];
        Gelu.ReferenceBackward<double>(x, up, dx, approximateTanh);
        double[] numeric = GradCheck.Numeric(v =>
        {
            var y = new double[v.Length];
            Gelu.ReferenceForward<double>(v, y, approximateTanh);
            return GradCheck.Dot(up, y);
        }, x);
        GradCheck.AssertClose(numeric, dx, 1e-6, "dx");
    }

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.5, 0.4795001221869535)]
    [InlineData(1.0, 0.15729920705028513)]
    [InlineData(2.0, 0.004677734981047266)]
    [InlineData(1.5, 0.033894853524689274)]
    [InlineData(2.5, 4.069520174449590e-04)]
    [InlineData(3.0, 2.209049699858544e-05)]
    [InlineData(5.0, 1.5374597944280349e-12)]
    [InlineData(10.0, 2.088487583762545e-45)]
    [InlineData(-1.0, 1.8427007929497148)]
    public void Erfc_KnownValues_MatchToDoublePrecision(double z, double expected) =>
        Assert.Equal(expected, Gelu.Erfc(z), 1e-14 * expected);

    [Fact]
    public void Erfc_AcrossSeriesToContinuedFractionSwitch_IsContinuous()
    {
        double below = Gelu.Erfc(Math.BitDecrement(1.0)), at = Gelu.Erfc(1.0);
        Assert.Equal(at, below, 1e-14 * at);
    }

    [Fact]
    public void Forward_KnownValues_MatchPyTorch()
    {
        // torch.nn.functional.gelu(torch.tensor([...], dtype=torch.float64)) and approximate="tanh".
        float[] x = [-3f, -1f, 0.5f, 2f], exact = new float[4], tanh = new float[4];
        Gelu.Forward(x, exact);
        Gelu.Forward(x, tanh, approximateTanh: true);
        double[] wantExact = [-0.004049694568978117, -0.15865525393145707, 0.34573123063700656, 1.9544997361036416];
        double[] wantTanh = [-0.0036373920817729943, -0.15880800939172324, 0.34571400982514394, 1.9545976940871754];
        AssertWithin(wantExact, exact, i => 1e-6 * Math.Abs(wantExact[i]), "exact");
        AssertWithin(wantTanh, tanh, i => 1e-6 * Math.Abs(wantTanh[i]), "tanh");
    }

    [Theory, MemberData(nameof(AllWidthsData))]
    public void Forward_ExtremeInputs_StayFiniteAndPropagateNaN(SimdWidth width)
    {
        SkipUnsupported(width);
        foreach (bool approximateTanh in new[] { false, true })
        {
            float[] x = [100f, -100f, 1e30f, -1e30f, float.NaN, 0f], y = new float[x.Length], dx = new float[x.Length];
            Gelu.Forward(x, y, approximateTanh, width, 1);
            Gelu.Backward(x, [1f, 1f, 1f, 1f, 1f, 1f], dx, approximateTanh, width, 1);
            Assert.Equal(100f, y[0]);
            Assert.Equal(0f, y[1]);
            Assert.Equal(1e30f, y[2]);
            Assert.Equal(0f, y[3]);
            Assert.True(float.IsNaN(y[4]));
            Assert.Equal(0f, y[5]);
            Assert.Equal(1f, dx[0]);
            Assert.Equal(0f, dx[1]);
            Assert.Equal(1f, dx[2]);
            Assert.Equal(0f, dx[3]);
            Assert.True(float.IsNaN(dx[4]));
            Assert.Equal(0.5f, dx[5]);
        }
    }

    [Fact]
    public void Forward_ManyThreads_BitIdenticalToOneThread()
    {
        int n = 3 * ElementwiseLoop.MinElementsPerPart + 5;
        float[] x = Rand.Floats(new Rng(24), n, 6f), dy = Rand.Floats(new Rng(25), n);
        foreach (bool approximateTanh in new[] { false, true })
        {
            float[] one = new float[n], many = new float[n], dxOne = new float[n], dxMany = new float[n];
            Gelu.Forward(x, one, approximateTanh, Simd.Best, threads: 1);
            Gelu.Backward(x, dy, dxOne, approximateTanh, Simd.Best, threads: 1);
            for (int run = 0; run < 2; run++)
            {
                Gelu.Forward(x, many, approximateTanh, Simd.Best, threads: 4);
                Array.Clear(dxMany);
                Gelu.Backward(x, dy, dxMany, approximateTanh, Simd.Best, threads: 4);
                AssertBitIdentical(one, many, "y");
                AssertBitIdentical(dxOne, dxMany, "dx");
            }
        }
    }

    [Fact]
    public void ForwardAndBackward_LengthsDiffer_Throw()
    {
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Gelu.Forward(new float[3], new float[2])).ParamName);
        Assert.Equal("dy", Assert.Throws<ArgumentException>(() => Gelu.Backward(new float[3], new float[2], new float[3])).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => Gelu.Backward(new float[3], new float[3], new float[4], true)).ParamName);
    }
}
