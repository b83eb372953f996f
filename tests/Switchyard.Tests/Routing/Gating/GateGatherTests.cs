using Switchyard.Autograd;
using Switchyard.Routing.Gating;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Routing.Gating;

public class GateGatherTests
{
    // 3 items × 4 experts; item 0 keeps {1, 3} of selected {1, 3, 0}; item 1 keeps nothing of {2};
    // item 2 keeps {0, 2} of selected {0, 2}. Outputs in grouped (expert) order.
    static readonly int[] Flat = [2 * 4 + 0, 0 * 4 + 1, 2 * 4 + 2, 0 * 4 + 3];
    static readonly int[] Item = [2, 0, 2, 0];
    static readonly int[] DenOffsets = [0, 3, 4, 6];
    static readonly int[] Den = [1, 3, 0, 6, 8, 10];

    [Theory]
    [InlineData(true, 1.0)]
    [InlineData(true, 2.5)]
    [InlineData(false, 1.0)]
    public void ReferenceBackward_MatchesCentralDifferences_InFloat64(bool normalize, double scale)
    {
        var rng = new Rng(11);
        double[] p = new double[12];
        for (int i = 0; i < p.Length; i++) p[i] = 0.05 + rng.NextDouble();
        double[] dy = Rand.Doubles(rng, Flat.Length);
        int[] offsets = normalize ? DenOffsets : [], den = normalize ? Den : [];
        var dp = new double[p.Length];
        var d = new double[3];
        var y = new double[Flat.Length];
        GateGather.Forward<double>(p, Flat, Item, offsets, den, scale, d, y);
        GateGather.Backward<double>(p, Flat, Item, offsets, den, scale, d, dy, dp, new double[3]);

        double[] numeric = GradCheck.Numeric(x =>
        {
            var yy = new double[Flat.Length];
            GateGather.Forward<double>(x, Flat, Item, offsets, den, scale, new double[3], yy);
            return GradCheck.Dot(dy, yy);
        }, p);
        GradCheck.AssertClose(numeric, dp, 1e-7);
    }

    [Fact]
    public void Forward_Normalized_SumsToScaleOverTheDenominatorSet()
    {
        double[] p = [0.1, 0.2, 0.3, 0.4, 0, 0, 0.5, 0, 0.25, 0, 0.75, 0];
        var y = new double[4];
        GateGather.Forward<double>(p, Flat, Item, DenOffsets, Den, 2.0, new double[3], y);
        // item 2: p[8] + p[10] = 1 → weights 2·0.25, 2·0.75; item 0: den = 0.2 + 0.4 + 0.1
        Assert.Equal(0.5, y[0], 1e-12);
        Assert.Equal(1.5, y[2], 1e-12);
        Assert.Equal(2 * 0.2 / 0.7, y[1], 1e-12);
    }

    [Fact]
    public void Apply_OnTape_GradientMatchesFloat64()
    {
        Tensor p = TapeGradCheck.Random(new Shape(3, 4), 5, 0.05f, 1f);
        TapeGradCheck.Check([p], (tape, v) => GateGather.Apply(tape, v[0], Flat, Item, DenOffsets, Den, 1.5f), x =>
        {
            var y = new double[Flat.Length];
            GateGather.Forward<double>(x[0], Flat, Item, DenOffsets, Den, 1.5, new double[3], y);
            return y;
        });
    }

    [Fact]
    public void Apply_IndexOutOfRange_Throws()
    {
        var tape = new Tape(1024);
        Var p = tape.Constant(new Tensor(new Shape(2, 2)));
        Assert.Throws<ArgumentException>(() => GateGather.Apply(tape, p, [4], [0], [0, 1], [0], 1f));
        Assert.Throws<ArgumentException>(() => GateGather.Apply(tape, p, [1], [0], [0, 2], [0], 1f));
    }
}
