using System.Text.Json;
using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Models;
using Switchyard.Nn;
using Switchyard.Nn.Layers;
using Switchyard.Nn.Optim;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Models;

public class MoteBlockTests
{
    // A dense llama of width 8 (FFN 12) and its MoTE counterpart: 6 experts of width 12 (ternary) or 6 (float32, slices), top-1.
    static ModelConfig Dense() => TinyConfigs.Create("llama");

    static ModelConfig Mote(bool ternary, int expertWidth = 0, int experts = 6) => TinyConfigs.Create("mixtral") with
    {
        NumExperts = experts, NumExpertsPerTok = 1,
        Switchyard = new SwitchyardOptions
        {
            Router = "top-k", RouterOptions = Json("""{ "k": 1, "normalize": false }"""), Block = "mote",
            BlockOptions = Json($$"""{ "ternary": {{(ternary ? "true" : "false")}}, "expert_width": {{expertWidth}} }"""),
        },
    };

    static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    static DecoderModel Build(ModelConfig config, ulong seed) => new(config, new Rng(seed), MoeFeedForward.Factory);

    static MoeLayer Moe(DecoderModel model, int layer) => ((MoeFeedForward)model.Layers[layer].FeedForward).Layer;

    [Fact]
    public void Create_SharedExpertFrozen_RoutedExpertsTernary()
    {
        DecoderModel model = Build(Mote(ternary: true), 1);
        MoeLayer moe = Moe(model, 0);
        var experts = Assert.IsType<TernaryExperts>(moe.Experts);
        Assert.Equal(12, experts.Width);
        Assert.All(moe.SharedExpert!.Parameters(), p => Assert.False(p.Trainable));
        Assert.All(experts.Parameters(), p => Assert.True(p.Trainable));
        Assert.Contains(model.NamedParameters(), p => p.Name == "model.layers.0.block_sparse_moe.shared_expert.up_proj.weight");
    }

    [Fact]
    public void Upcycle_SharedIsTheDenseFfn_ExpertsAreDistinctNoisyCopies_AttentionCopied()
    {
        DecoderModel dense = Build(Dense(), 2), mote = Build(Mote(ternary: true), 3);
        ModelConversions.Apply(TernaryUpcycling.Name, dense, mote, null, new Rng(4));
        for (int i = 0; i < 2; i++)
        {
            var ffn = (DenseFeedForward)dense.Layers[i].FeedForward;
            MoeLayer moe = Moe(mote, i);
            Assert.Equal(W(ffn.GateProj), W(moe.SharedExpert!.GateProj));
            Assert.Equal(W(ffn.DownProj), W(moe.SharedExpert.DownProj));
            Assert.All(moe.SharedExpert.Parameters(), p => Assert.False(p.Trainable));
            var latent = ((TernaryExperts)moe.Experts).Latent;
            float[] e0 = latent.Expert(0).Up.Value.ToArray(), e1 = latent.Expert(1).Up.Value.ToArray(), up = W(ffn.UpProj);
            Assert.NotEqual(e0, e1);
            // Noise of 0.1 × RMS: close to the FFN, not equal to it.
            double rms = Math.Sqrt(up.Average(v => (double)v * v)), dev = Math.Sqrt(e0.Zip(up).Average(p => (double)(p.First - p.Second) * (p.First - p.Second)));
            Assert.InRange(dev / rms, 0.03, 0.3);
        }
        var from = dense.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, p) in mote.NamedParameters())
            if (name.Contains("self_attn", StringComparison.Ordinal) || name.Contains("norm", StringComparison.Ordinal) || name.Contains("embed", StringComparison.Ordinal))
                Assert.Equal(from[name].Value.ToArray(), p.Value.ToArray());
    }

    static float[] W(ILinearLayer layer) => ((Linear)layer).Weight.Value.ToArray();

    [Fact]
    public void Upcycle_NarrowFloatExperts_TakeHiddenSlicesOfTheFfn()
    {
        DecoderModel dense = Build(Dense(), 2), mote = Build(Mote(ternary: false, expertWidth: 6, experts: 4), 3);
        ModelConversions.Apply(TernaryUpcycling.Name, dense, mote, Json("""{ "noise": 0 }"""), new Rng(4));
        var ffn = (DenseFeedForward)dense.Layers[0].FeedForward;
        var experts = (SwiGluExperts)Moe(mote, 0).Experts;
        float[] gate = W(ffn.GateProj), down = W(ffn.DownProj);
        // Expert 3 = slice 3 mod 2 = 1: hidden units 6..11.
        Assert.Equal(gate[(6 * 8)..(12 * 8)], experts.Expert(3).Gate.Value.ToArray());
        float[] d3 = experts.Expert(3).Down.Value.ToArray();
        for (int r = 0; r < 8; r++) Assert.Equal(down[(r * 12 + 6)..(r * 12 + 12)], d3[(r * 6)..(r * 6 + 6)]);
    }

    [Fact]
    public void Training_SharedExpertUnchanged_RoutedExpertsAndRouterMove()
    {
        // Given an up-cycled model trained a few AdamW steps with weight decay
        DecoderModel dense = Build(Dense(), 2), mote = Build(Mote(ternary: true), 3);
        ModelConversions.Apply(TernaryUpcycling.Name, dense, mote, null, new Rng(4));
        MoeLayer moe = Moe(mote, 1);
        float[] shared = W(moe.SharedExpert!.GateProj), expert = ((TernaryExperts)moe.Experts).Latent.GateUp.ToArray();
        var optimizer = new AdamW(mote.NamedParameters(), 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f);
        var tape = new Tape();
        int[] ids = [1, 2, 3, 4, 5, 6, 7, 8], targets = [2, 3, 4, 5, 6, 7, 8, 9];

        // When
        for (int step = 0; step < 3; step++)
        {
            tape.Reset();
            optimizer.ZeroGrad();
            tape.Backward(mote.Loss(tape, ids, targets, 2, 4));
            optimizer.Step();
        }

        // Then the frozen shared expert is bit-identical and the ternary experts' latent weights moved
        Assert.Equal(shared, W(moe.SharedExpert.GateProj));
        Assert.NotEqual(expert, ((TernaryExperts)moe.Experts).Latent.GateUp.ToArray());
    }

    [Theory]
    [InlineData("""{ "ternary": 1 }""", "ternary")]
    [InlineData("""{ "bits": 4 }""", "bits")]
    [InlineData("""{ "activation_bits": 1 }""", "activation_bits")]
    public void Create_BadBlockOption_OneErrorNamingTheField(string options, string field)
    {
        ModelConfig config = Mote(ternary: true) with { Switchyard = Mote(ternary: true).Switchyard! with { BlockOptions = Json(options) } };
        var e = Assert.Throws<InvalidConfigException>(() => Build(config, 1));
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void Upcycle_BadOptionOrNoMoteLayer_OneClearError()
    {
        DecoderModel dense = Build(Dense(), 2), mote = Build(Mote(ternary: true), 3);
        var bad = Assert.Throws<InvalidConfigException>(() => ModelConversions.Apply(TernaryUpcycling.Name, dense, mote, Json("""{ "nois": 0.1 }"""), new Rng(4)));
        Assert.Contains("scale_jitter", bad.Message);
        var none = Assert.Throws<InvalidConfigException>(() => ModelConversions.Apply(TernaryUpcycling.Name, dense, Build(Dense(), 5), null, new Rng(4)));
        Assert.Contains("mote", none.Message);
    }

    [Fact]
    public void ModelSize_TernaryBytesAndFfnParameters()
    {
        DecoderModel mote = Build(Mote(ternary: true), 3);
        var m = Switchyard.Training.ModelSizeProcedure.Measure(mote);
        Assert.Equal(2 * ((TernaryExperts)Moe(mote, 0).Experts).StorageBytes, m["expert_bytes"], 6);
        Assert.Equal(mote.ParameterCount(), m["parameters"]);
        Assert.Equal(mote.Layers[0].FeedForward.ParameterCount() * 2.0, m["ffn_parameters"]);
        Assert.False(m.ContainsKey("film_gamma_variance"));
    }
}
