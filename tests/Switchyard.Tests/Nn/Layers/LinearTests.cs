using Switchyard.Nn.Layers;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Nn.Layers;

public class LinearTests
{
    [Theory]
    [InlineData(5, 7, 3, false)]
    [InlineData(1, 17, 33, true)]
    [InlineData(4, 3, 1, true)]
    public void Forward_RandomShapes_MatchesNaiveMatmulAndCentralDifferences(int rows, int inF, int outF, bool bias)
    {
        var rng = new Rng(31);
        var layer = new Linear(inF, outF, rng, bias, initStd: 0.5f);
        if (layer.Bias is { } b) Rand.Floats(rng, outF).CopyTo(b.Value.Span);
        var x = new Tensor(Rand.Floats(rng, rows * inF), new Shape(rows, inF));
        ModuleGradCheck.Check(layer, x, (tape, v) => layer.Forward(tape, v!),
            p => NnReference.Linear(p[ModuleGradCheck.Input], p["weight"], bias ? p["bias"] : null, rows, inF, outF));
    }

    [Fact]
    public void Constructor_SameSeed_GivesSameWeightsWithStd002()
    {
        var a = new Linear(64, 128, new Rng(1));
        var b = new Linear(64, 128, new Rng(1));
        Assert.Equal(a.Weight.Value.ToArray(), b.Weight.Value.ToArray());
        double ss = a.Weight.Value.ToArray().Sum(v => (double)v * v);
        Assert.InRange(Math.Sqrt(ss / a.Weight.Value.Length), 0.019, 0.021);
        Assert.Equal(new Shape(128, 64), a.Weight.Shape);
    }

    [Fact]
    public void Constructor_Bias_IsZeroNamedBiasAndNotDecayed()
    {
        var l = new Linear(3, 2, new Rng(1), bias: true);
        Assert.Equal(["weight", "bias"], l.NamedParameters().Select(p => p.Name));
        Assert.All(l.Bias!.Value.ToArray(), v => Assert.Equal(0f, v));
        Assert.False(l.Bias.WeightDecay);
        Assert.True(l.Weight.WeightDecay);
    }

    [Fact]
    public void Forward_WrongInputWidth_ThrowsShapeMismatch()
    {
        var l = new Linear(3, 2, new Rng(1));
        var tape = new Switchyard.Autograd.Tape(1024);
        Assert.Throws<ShapeMismatchException>(() => l.Forward(tape, tape.Constant(new Tensor(new Shape(2, 4)))));
    }
}
