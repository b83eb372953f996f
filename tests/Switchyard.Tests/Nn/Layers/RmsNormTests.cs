using Switchyard.Nn.Layers;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Nn.Layers;

public class RmsNormTests
{
    [Theory]
    [InlineData(3, 8)]
    [InlineData(5, 33)]
    public void Forward_RandomWeights_MatchesReferenceAndCentralDifferences(int rows, int dim)
    {
        var rng = new Rng(7);
        var norm = new RmsNorm(dim, 1e-5f);
        Rand.Floats(rng, dim, 2f).CopyTo(norm.Weight.Value.Span);
        var x = new Tensor(Rand.Floats(rng, rows * dim), new Shape(rows, dim));
        ModuleGradCheck.Check(norm, x, (tape, v) => norm.Forward(tape, v!),
            p => NnReference.RmsNorm(p[ModuleGradCheck.Input], p["weight"], rows, dim, 1e-5));
    }

    [Fact]
    public void Constructor_Weight_IsOnesAndExcludedFromDecay()
    {
        var n = new RmsNorm(5);
        Assert.All(n.Weight.Value.ToArray(), v => Assert.Equal(1f, v));
        Assert.False(n.Weight.WeightDecay);
        Assert.Equal("weight", Assert.Single(n.NamedParameters()).Name);
    }
}
