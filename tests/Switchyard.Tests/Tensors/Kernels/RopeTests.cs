using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;
using static Switchyard.Tests.Tensors.Kernels.ActivationTestSupport;

namespace Switchyard.Tests.Tensors.Kernels;

public class RopeTests
{
    const float Theta = 10000f;

    public static TheoryData<SimdWidth, int> Cases()
    {
        var data = new TheoryData<SimdWidth, int>();
        foreach (var w in Widths)
            foreach (int d in new[] { 2, 4, 6, 14, 16, 34, 64, 66, 128, 130, 200 }) data.Add(w, d);
        return data;
    }

    public static TheoryData<SimdWidth> AllWidthsData => AllWidths();

    static int[] Positions(Rng rng, int tokens, int max)
    {
        var p = new int[tokens];
        for (int t = 0; t < tokens; t++) p[t] = rng.NextInt(max);
        return p;
    }

    // A rotation mixes two coordinates: error relative to the pair's norm, not to each output.
    static Func<int, double> PairBound(float[] x, int headDim, double rel)
    {
        int half = headDim / 2;
        return i =>
        {
            int o = i - i % headDim, k = i % half;
            return rel * (Math.Abs(x[o + k]) + Math.Abs(x[o + k + half])) + 1e-30;
        };
    }

    [Theory, MemberData(nameof(Cases))]
    public void Forward_EachWidth_MatchesFloat64Reference(SimdWidth width, int headDim)
    {
        SkipUnsupported(width);
        const int tokens = 5, heads = 3;
        var rng = new Rng(61);
        float[] x = Rand.Floats(rng, tokens * heads * headDim), y = new float[x.Length];
        int[] pos = Positions(rng, tokens, 200_000);
        pos[0] = 0;
        double[] want = new double[x.Length];
        Rope.ReferenceForward<double>(Rand.ToDouble(x), want, pos, tokens, heads, headDim, Theta);

        Rope.Forward(x, y, pos, tokens, heads, headDim, Theta, width, threads: 1);

        AssertWithin(want, y, PairBound(x, headDim, 3e-7), "y");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Backward_EachWidth_AccumulatesInverseRotation(SimdWidth width, int headDim)
    {
        SkipUnsupported(width);
        const int tokens = 4, heads = 2;
        var rng = new Rng(62);
        float[] dy = Rand.Floats(rng, tokens * heads * headDim), dx = Rand.Floats(rng, dy.Length);
        int[] pos = Positions(rng, tokens, 50_000);
        double[] want = Rand.ToDouble(dx);
        Rope.ReferenceBackward<double>(Rand.ToDouble(dy), want, pos, tokens, heads, headDim, 500000.0);

        Rope.Backward(dy, dx, pos, tokens, heads, headDim, 500000f, width, threads: 1);

        AssertWithin(want, dx, i => PairBound(dy, headDim, 3e-7)(i) + 1e-7 * Math.Abs(want[i]), "dx");
    }

    [Fact]
    public void ReferenceBackward_MatchesCentralDifferences_InFloat64()
    {
        const int tokens = 3, heads = 2, headDim = 6;
        var rng = new Rng(63);
        double[] x = Rand.Doubles(rng, tokens * heads * headDim), up = Rand.Doubles(rng, x.Length), dx = new double[x.Length];
        int[] pos = [0, 7, 1234];
        Rope.ReferenceBackward<double>(up, dx, pos, tokens, heads, headDim, Theta);
        double[] numeric = GradCheck.Numeric(v =>
        {
            var y = new double[v.Length];
            Rope.ReferenceForward<double>(v, y, pos, tokens, heads, headDim, Theta);
            return GradCheck.Dot(up, y);
        }, x);
        GradCheck.AssertClose(numeric, dx, 1e-6, "dx");
    }

    [Theory, MemberData(nameof(AllWidthsData))]
    public void Forward_PositionZero_IsIdentity(SimdWidth width)
    {
        SkipUnsupported(width);
        float[] x = Rand.Floats(new Rng(64), 2 * 3 * 66), y = new float[x.Length];
        Rope.Forward(x, y, [0, 0], 2, 3, 66, Theta, width, 1);
        AssertBitIdentical(x, y, "y");
    }

    [Theory, MemberData(nameof(AllWidthsData))]
    public void Forward_AnyPosition_PreservesEachHeadsNorm(SimdWidth width)
    {
        SkipUnsupported(width);
        const int tokens = 6, heads = 2, headDim = 96;
        var rng = new Rng(65);
        float[] x = Rand.Floats(rng, tokens * heads * headDim, 3f), y = new float[x.Length];
        int[] pos = [1, 2, 17, 4095, 131071, 1_000_000];
        Rope.Forward(x, y, pos, tokens, heads, headDim, Theta, width, 1);
        for (int v = 0; v < tokens * heads; v++)
        {
            double nx = 0, ny = 0;
            for (int i = 0; i < headDim; i++) { nx += (double)x[v * headDim + i] * x[v * headDim + i]; ny += (double)y[v * headDim + i] * y[v * headDim + i]; }
            Assert.Equal(Math.Sqrt(nx), Math.Sqrt(ny), 1e-6 * Math.Sqrt(nx));
        }
    }

    [Fact]
    public void Forward_UnitVector_FollowsRotateHalfConvention()
    {
        // headDim 4: inv_freq = [1, 10000^(−1/2)] = [1, 0.01]; element 0 pairs with 2, 1 with 3.
        float[] y = new float[4];
        Rope.Forward([1f, 0f, 0f, 0f], y, [1], 1, 1, 4, Theta);
        AssertWithin([Math.Cos(1), 0, Math.Sin(1), 0], y, _ => 1e-7, "pair (0, 2)");
        Rope.Forward([0f, 1f, 0f, 0f], y, [3], 1, 1, 4, Theta);
        AssertWithin([0, Math.Cos(0.03), 0, Math.Sin(0.03)], y, _ => 1e-7, "pair (1, 3)");
        Rope.Forward([0f, 0f, 1f, 0f], y, [1], 1, 1, 4, Theta);
        AssertWithin([-Math.Sin(1), 0, Math.Cos(1), 0], y, _ => 1e-7, "hi of pair (0, 2)");
    }

    [Theory, MemberData(nameof(AllWidthsData))]
    public void Forward_InPlace_EqualsOutOfPlace(SimdWidth width)
    {
        SkipUnsupported(width);
        const int tokens = 3, heads = 4, headDim = 34;
        float[] x = Rand.Floats(new Rng(66), tokens * heads * headDim), y = new float[x.Length], inPlace = (float[])x.Clone();
        int[] pos = [5, 900, 77];
        Rope.Forward(x, y, pos, tokens, heads, headDim, Theta, width, 1);
        Rope.Forward(inPlace, inPlace, pos, tokens, heads, headDim, Theta, width, 1);
        AssertBitIdentical(y, inPlace, "y");
    }

    [Fact]
    public void Backward_AfterForward_RecoversInput()
    {
        const int tokens = 4, heads = 2, headDim = 64;
        float[] x = Rand.Floats(new Rng(67), tokens * heads * headDim), y = new float[x.Length], back = new float[x.Length];
        int[] pos = [0, 3, 40000, 250000];
        Rope.Forward(x, y, pos, tokens, heads, headDim, Theta);
        Rope.Backward(y, back, pos, tokens, heads, headDim, Theta);
        AssertWithin(Rand.ToDouble(x), back, _ => 5e-7, "x");
    }

    [Fact]
    public void ForwardAndBackward_ManyThreads_BitIdenticalToOneThread()
    {
        const int tokens = 600, heads = 4, headDim = 64;
        var rng = new Rng(68);
        float[] x = Rand.Floats(rng, tokens * heads * headDim);
        int[] pos = Positions(rng, tokens, 100_000);
        float[] y1 = new float[x.Length], dx1 = new float[x.Length];
        Rope.Forward(x, y1, pos, tokens, heads, headDim, Theta, Simd.Best, 1);
        Rope.Backward(x, dx1, pos, tokens, heads, headDim, Theta, Simd.Best, 1);
        for (int run = 0; run < 2; run++)
        {
            float[] y4 = new float[x.Length], dx4 = new float[x.Length];
            Rope.Forward(x, y4, pos, tokens, heads, headDim, Theta, Simd.Best, 4);
            Rope.Backward(x, dx4, pos, tokens, heads, headDim, Theta, Simd.Best, 4);
            AssertBitIdentical(y1, y4, "y");
            AssertBitIdentical(dx1, dx4, "dx");
        }
    }

    [Fact]
    public void Forward_BadArguments_Throw()
    {
        float[] x = new float[2 * 3 * 4], y = new float[x.Length];
        int[] pos = [0, 1];
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Rope.Forward(new float[23], y, pos, 2, 3, 4, Theta)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Rope.Forward(x, new float[25], pos, 2, 3, 4, Theta)).ParamName);
        Assert.Equal("positions", Assert.Throws<ArgumentException>(() => Rope.Forward(x, y, [0], 2, 3, 4, Theta)).ParamName);
        Assert.Equal("headDim", Assert.Throws<ArgumentOutOfRangeException>(() => Rope.Forward(new float[6], new float[6], pos, 2, 1, 3, Theta)).ParamName);
        Assert.Equal("heads", Assert.Throws<ArgumentOutOfRangeException>(() => Rope.Forward([], [], pos, 2, 0, 4, Theta)).ParamName);
        Assert.Equal("tokens", Assert.Throws<ArgumentOutOfRangeException>(() => Rope.Forward(x, y, pos, -1, 3, 4, Theta)).ParamName);
        Assert.Equal("theta", Assert.Throws<ArgumentOutOfRangeException>(() => Rope.Forward(x, y, pos, 2, 3, 4, 0f)).ParamName);
        Assert.Equal("dy", Assert.Throws<ArgumentException>(() => Rope.Backward(new float[23], y, pos, 2, 3, 4, Theta)).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => Rope.Backward(x, new float[23], pos, 2, 3, 4, Theta)).ParamName);
    }
}
