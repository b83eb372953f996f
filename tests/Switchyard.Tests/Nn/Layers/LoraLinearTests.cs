using Switchyard.Autograd;
using Switchyard.Nn.Layers;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Nn.Layers;

public class LoraLinearTests
{
    [Fact]
    public void Forward_AtInit_EqualsBaseLayerExactly()
    {
        var rng = new Rng(2);
        var baseLayer = new Linear(6, 5, rng, bias: true, initStd: 0.5f);
        var x = new Tensor(Rand.Floats(rng, 3 * 6), new Shape(3, 6));
        var tape = new Tape(1 << 12);
        float[] expected = baseLayer.Forward(tape, tape.Constant(x)).Value.ToArray();
        var lora = new LoraLinear(baseLayer, rank: 2, alpha: 4, rng);
        Assert.Equal(expected, lora.Forward(tape, tape.Constant(x)).Value.ToArray());
    }

    [Fact]
    public void Backward_OnlyLoraParametersGetGradients()
    {
        var rng = new Rng(4);
        var lora = new LoraLinear(new Linear(6, 5, rng, bias: true), 2, 4, rng);
        var tape = new Tape(1 << 12);
        var y = lora.Forward(tape, tape.Constant(new Tensor(Rand.Floats(rng, 18), new Shape(3, 6))));
        tape.Backward(tape.Sum(tape.Mul(y, y)));
        Assert.False(lora.BaseLayer.Weight.HasGrad);
        Assert.False(lora.BaseLayer.Bias!.HasGrad);
        Assert.Contains(lora.LoraB.Weight.Grad.ToArray(), v => v != 0f);
        Assert.True(lora.LoraA.Weight.HasGrad); // zero at init, as B = 0
    }

    [Fact]
    public void Forward_TrainedAdapter_MatchesReferenceAndCentralDifferences()
    {
        var rng = new Rng(5);
        const int rows = 4, inF = 7, outF = 3, r = 2;
        var lora = new LoraLinear(new Linear(inF, outF, rng, initStd: 0.5f), r, alpha: 3, rng);
        Rand.Floats(rng, outF * r).CopyTo(lora.LoraB.Weight.Value.Span);
        var x = new Tensor(Rand.Floats(rng, rows * inF), new Shape(rows, inF));
        ModuleGradCheck.Check(lora, x, (tape, v) => lora.Forward(tape, v!), p =>
        {
            var y = NnReference.Linear(p[ModuleGradCheck.Input], p["base_layer.weight"], null, rows, inF, outF);
            var ax = NnReference.Linear(p[ModuleGradCheck.Input], p["lora_A.weight"], null, rows, inF, r);
            var bax = NnReference.Linear(ax, p["lora_B.weight"], null, rows, r, outF);
            for (int i = 0; i < y.Length; i++) y[i] += 1.5 * bax[i];
            return y;
        });
    }

    [Fact]
    public void NamedParameters_ArePeftNamesAndShapes()
    {
        var lora = new LoraLinear(new Linear(6, 5, new Rng(1)), 3, 6, new Rng(2));
        var named = lora.NamedParameters();
        Assert.Equal(["base_layer.weight", "lora_A.weight", "lora_B.weight"], named.Select(p => p.Name));
        Assert.Equal(new Shape(3, 6), named[1].Parameter.Shape);
        Assert.Equal(new Shape(5, 3), named[2].Parameter.Shape);
        Assert.All(named[2].Parameter.Value.ToArray(), v => Assert.Equal(0f, v));
        float bound = 1 / MathF.Sqrt(6);
        Assert.All(named[1].Parameter.Value.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.Equal(2f, lora.Scaling);
        Assert.False(named[0].Parameter.Trainable);
    }

    [Fact]
    public void Wrap_AttentionProjection_ReplacesItInPlace()
    {
        var rng = new Rng(6);
        var attn = new CausalSelfAttention(8, 2, 1, 4, rng);
        var lora = LoraLinear.Wrap(attn, "q_proj", 2, 4, rng);
        Assert.Same(lora, attn.QProj);
        var names = attn.NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(["q_proj.base_layer.weight", "q_proj.lora_A.weight", "q_proj.lora_B.weight", "k_proj.weight"], names[..4]);
        var tape = new Tape(1 << 12);
        attn.Forward(tape, tape.Constant(new Tensor(Rand.Floats(rng, 16), new Shape(2, 8))), 1, 2);
    }

    [Fact]
    public void Wrap_MissingChild_Throws()
    {
        var mlp = new SwiGluMlp(4, 8, new Rng(1));
        Assert.Throws<ArgumentException>(() => LoraLinear.Wrap(mlp, "q_proj", 2, 4, new Rng(1)));
    }
}
