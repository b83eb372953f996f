using Switchyard.Nn.Layers;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Nn.Layers;

public class SwiGluMlpTests
{
    [Fact]
    public void Forward_Random_MatchesReferenceAndCentralDifferences()
    {
        var rng = new Rng(3);
        const int rows = 4, hidden = 6, inter = 10;
        var mlp = new SwiGluMlp(hidden, inter, rng, initStd: 0.5f);
        var x = new Tensor(Rand.Floats(rng, rows * hidden), new Shape(rows, hidden));
        ModuleGradCheck.Check(mlp, x, (tape, v) => mlp.Forward(tape, v!),
            p => NnReference.SwiGlu(p[ModuleGradCheck.Input], p["gate_proj.weight"], p["up_proj.weight"], p["down_proj.weight"], rows, hidden, inter));
    }

    [Fact]
    public void NamedParameters_AreHuggingFaceMlpNames()
    {
        var named = new SwiGluMlp(4, 8, new Rng(1)).NamedParameters();
        Assert.Equal(["gate_proj.weight", "up_proj.weight", "down_proj.weight"], named.Select(p => p.Name));
        Assert.Equal(new Shape(4, 8), named[2].Parameter.Shape);
    }
}
