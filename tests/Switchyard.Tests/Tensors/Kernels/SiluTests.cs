using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;
using static Switchyard.Tests.Tensors.Kernels.ActivationTestSupport;

namespace Switchyard.Tests.Tensors.Kernels;

public class SiluTests
{
    public static TheoryData<SimdWidth, int> Cases => WidthsAndLengths();

    [Theory, MemberData(nameof(Cases))]
    public void Forward_EachWidth_MatchesFloat64Reference(SimdWidth width, int n)
    {
        SkipUnsupported(width);
        var rng = new Rng(11);
        float[] x = Rand.Floats(rng, n, 16f), y = new float[n];
        double[] expected = new double[n];
        Silu.ReferenceForward<double>(Rand.ToDouble(x), expected);

        Silu.Forward(x, y, width, threads: 1);

        // Measured worst case ≈ 2.3e-7 (4 half-ulps) over [−14, 14].
        AssertWithin(expected, y, i => 5e-7 * Math.Abs(expected[i]) + 1e-38, "y");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Backward_EachWidth_AccumulatesReferenceGradient(SimdWidth width, int n)
    {
        SkipUnsupported(width);
        var rng = new Rng(12);
        float[] x = Rand.Floats(rng, n, 16f), dy = Rand.Floats(rng, n), dx = Rand.Floats(rng, n);
        double[] expected = Rand.ToDouble(dx);
        Silu.ReferenceBackward<double>(Rand.ToDouble(x), Rand.ToDouble(dy), expected);

        Silu.Backward(x, dy, dx, width, threads: 1);

        // silu' crosses 0 near x = −1.28: bound relative to the size of its terms, not of the result.
        AssertWithin(expected, dx, i => 1e-6 * (Math.Abs(expected[i]) + Math.Abs(dy[i])), "dx");
    }

    [Theory, MemberData(nameof(AllWidthsData))]
    public void Forward_InPlace_EqualsOutOfPlace(SimdWidth width)
    {
        SkipUnsupported(width);
        float[] x = Rand.Floats(new Rng(13), 100, 8f), y = new float[100], inPlace = (float[])x.Clone();
        Silu.Forward(x, y, width, 1);
        Silu.Forward(inPlace, inPlace, width, 1);
        AssertBitIdentical(y, inPlace, "y");
    }

    public static TheoryData<SimdWidth> AllWidthsData => AllWidths();

    [Fact]
    public void ReferenceBackward_MatchesCentralDifferences_InFloat64()
    {
        var rng = new Rng(14);
        double[] x = Rand.Doubles(rng, 40, 6), up = Rand.Doubles(rng, 40), dx = new double[40];
        Silu.ReferenceBackward<double>(x, up, dx);
        double[] numeric = GradCheck.Numeric(v =>
        {
            var y = new double[v.Length];
            Silu.ReferenceForward<double>(v, y);
            return GradCheck.Dot(up, y);
        }, x);
        GradCheck.AssertClose(numeric, dx, 1e-6, "dx");
    }

    [Theory, MemberData(nameof(AllWidthsData))]
    public void Forward_ExtremeInputs_StayFiniteAndPropagateNaN(SimdWidth width)
    {
        SkipUnsupported(width);
        float[] x = [100f, -100f, 1e30f, -1e30f, float.NaN, 0f, -0f, float.PositiveInfinity], y = new float[x.Length];
        Silu.Forward(x, y, width, 1);
        Assert.Equal(100f, y[0]);
        Assert.True(y[1] <= 0f && y[1] > -1e-40f, $"silu(-100) = {y[1]}");
        Assert.Equal(1e30f, y[2]);
        Assert.Equal(0f, y[3]); // e^−1e30 underflows: −1e30·0 = −0
        Assert.True(float.IsNaN(y[4]));
        Assert.Equal(0f, y[5]);
        Assert.Equal(float.PositiveInfinity, y[7]);
    }

    [Fact]
    public void Forward_ManyThreads_BitIdenticalToOneThread()
    {
        int n = 5 * ElementwiseLoop.MinElementsPerPart + 37;
        float[] x = Rand.Floats(new Rng(15), n, 8f), dy = Rand.Floats(new Rng(16), n);
        float[] one = new float[n], many = new float[n], dxOne = new float[n], dxMany = new float[n];
        Silu.Forward(x, one, Simd.Best, threads: 1);
        Silu.Backward(x, dy, dxOne, Simd.Best, threads: 1);
        for (int run = 0; run < 3; run++)
        {
            Silu.Forward(x, many, Simd.Best, threads: 4);
            Array.Clear(dxMany);
            Silu.Backward(x, dy, dxMany, Simd.Best, threads: 4);
            AssertBitIdentical(one, many, "y");
            AssertBitIdentical(dxOne, dxMany, "dx");
        }
    }

    [Fact]
    public void Forward_LengthsDiffer_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Silu.Forward(new float[5], new float[4]));
        Assert.Equal("y", e.ParamName);
        Assert.Contains("5", e.Message);
    }

    [Fact]
    public void Backward_LengthsDiffer_Throws()
    {
        Assert.Equal("dy", Assert.Throws<ArgumentException>(() => Silu.Backward(new float[5], new float[4], new float[5])).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => Silu.Backward(new float[5], new float[5], new float[6])).ParamName);
    }
}
