using Switchyard.Nn.Layers;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Nn.Layers;

public class CausalSelfAttentionTests
{
    [Theory]
    [InlineData(2, 5, 4, 2, false, false)] // grouped-query
    [InlineData(1, 7, 2, 2, true, false)]  // multi-head, Qwen3 q/k norms
    [InlineData(2, 3, 4, 1, false, true)]  // multi-query, Qwen2 biases
    public void Forward_Random_MatchesReferenceAndCentralDifferences(int batch, int seq, int heads, int kvHeads, bool qkNorm, bool bias)
    {
        var rng = new Rng(13);
        const int hidden = 8, dim = 4;
        const float theta = 100f; // small base: positions rotate visibly over a short sequence
        var attn = new CausalSelfAttention(hidden, heads, kvHeads, dim, rng, theta, qkNorm, bias, normEps: 1e-6f, initStd: 0.5f);
        foreach (var (name, p) in attn.NamedParameters())
            if (name.EndsWith("bias") || name.EndsWith("norm.weight")) Rand.Floats(rng, p.Value.Length, 1f).CopyTo(p.Value.Span);
        var x = new Tensor(Rand.Floats(rng, batch * seq * hidden), new Shape(batch * seq, hidden));
        ModuleGradCheck.Check(attn, x, (tape, v) => attn.Forward(tape, v!, batch, seq), p =>
        {
            var w = new NnReference.AttentionWeights(p["q_proj.weight"], p["k_proj.weight"], p["v_proj.weight"], p["o_proj.weight"],
                bias ? p["q_proj.bias"] : null, bias ? p["k_proj.bias"] : null, bias ? p["v_proj.bias"] : null,
                qkNorm ? p["q_norm.weight"] : null, qkNorm ? p["k_norm.weight"] : null);
            return NnReference.SelfAttention(p[ModuleGradCheck.Input], w, batch, seq, hidden, heads, kvHeads, dim, theta, 1e-6);
        });
    }

    [Fact]
    public void NamedParameters_QkNorm_AreQwen3Names()
    {
        var names = new CausalSelfAttention(8, 4, 2, 4, new Rng(1), qkNorm: true).NamedParameters().Select(p => p.Name);
        Assert.Equal(["q_proj.weight", "k_proj.weight", "v_proj.weight", "o_proj.weight", "q_norm.weight", "k_norm.weight"], names);
    }

    [Fact]
    public void Constructor_HeadsNotMultipleOfKvHeads_Throws()
    {
        Assert.Throws<ArgumentException>(() => new CausalSelfAttention(8, 3, 2, 4, new Rng(1)));
    }

    [Fact]
    public void Forward_RowsNotBatchTimesSeq_ThrowsShapeMismatch()
    {
        var attn = new CausalSelfAttention(8, 2, 2, 4, new Rng(1));
        var tape = new Switchyard.Autograd.Tape(1024);
        Assert.Throws<ShapeMismatchException>(() => attn.Forward(tape, tape.Constant(new Tensor(new Shape(5, 8))), 2, 3));
    }

    [Fact]
    public void Forward_SequenceLengthChanges_UsesPositionsOfTheNewLength()
    {
        // A 6-token sequence after a 3-token batch of 2: positions must restart per sequence.
        var rng = new Rng(21);
        var attn = new CausalSelfAttention(8, 2, 1, 4, rng, ropeTheta: 100f, initStd: 0.5f);
        var tape = new Switchyard.Autograd.Tape(1 << 12);
        attn.Forward(tape, tape.Constant(new Tensor(Rand.Floats(rng, 6 * 8), new Shape(6, 8))), 2, 3);
        var x = new Tensor(Rand.Floats(rng, 6 * 8), new Shape(6, 8));
        float[] y = attn.Forward(tape, tape.Constant(x), 1, 6).Value.ToArray();
        var fresh = new CausalSelfAttention(8, 2, 1, 4, new Rng(0), ropeTheta: 100f);
        for (int i = 0; i < 4; i++)
            attn.NamedParameters()[i].Parameter.Value.Span.CopyTo(fresh.NamedParameters()[i].Parameter.Value.Span);
        Assert.Equal(fresh.Forward(tape, tape.Constant(x), 1, 6).Value.ToArray(), y);
    }
}
