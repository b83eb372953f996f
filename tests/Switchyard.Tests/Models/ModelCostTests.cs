using Switchyard.Models;
using Switchyard.Tensors;

namespace Switchyard.Tests.Models;

public sealed class ModelCostTests
{
    [Fact]
    public void Counts_TinyLlama_MatchHandComputation()
    {
        // vocab 11, d 8, 2 layers, q 2×4, kv 1×4, MLP 12, untied.
        var c = TinyConfigs.Create("llama");
        long attention = 8 * 8 + 8 * 4 + 8 * 4 + 8 * 8; // 192
        long mlp = 3 * 8 * 12;                          // 288
        long norms = 2 * 8;
        long layers = 2 * (attention + mlp + norms);    // 992
        Assert.Equal(layers + 8, ModelCost.Parameters(c, includeEmbedding: false));
        Assert.Equal(layers + 8 + 2 * 11 * 8, ModelCost.Parameters(c));
        Assert.Equal(ModelCost.Parameters(c), ModelCost.ActiveParameters(c));
        // FLOPs: 2 per weight a token multiplies (lm_head included) + 4·L·H·hd·context.
        double matmul = 2 * (attention + mlp) + 11 * 8;
        Assert.Equal(2 * matmul + 4 * 2 * 2 * 4 * 5, ModelCost.ForwardFlopsPerToken(c, context: 5));
        Assert.Equal(2 * (matmul - 88) + 4 * 2 * 2 * 4 * 5, ModelCost.ForwardFlopsPerToken(c, context: 5, includeEmbedding: false));
        Assert.Equal(3 * ModelCost.ForwardFlopsPerToken(c, 5), ModelCost.TrainingFlopsPerToken(c, 5));
    }

    public static TheoryData<string> DenseVariants => ["llama", "qwen2", "qwen3", "granite", "olmoe-dense", "tied", "biased"];

    [Theory, MemberData(nameof(DenseVariants))]
    public void Parameters_EqualsBuiltModelsCount(string variant)
    {
        var c = variant switch
        {
            "olmoe-dense" => TinyConfigs.Create("olmoe") with { NumExperts = 0, NumExpertsPerTok = 0 },
            "tied" => TinyConfigs.Create("qwen3") with { TieWordEmbeddings = true },
            "biased" => TinyConfigs.Create("llama") with { AttentionBias = true },
            _ => TinyConfigs.Create(variant),
        };
        var model = new DecoderModel(c, new Rng(1));
        Assert.Equal(model.ParameterCount(), ModelCost.Parameters(c));
        Assert.Equal(model.ParameterCount(), model.ParameterCount(includeEmbedding: true));
    }

    [Fact]
    public void Parameters_MixtralWithMoeLayers_CountsRoutersAndExperts()
    {
        // 4 experts of width 12 (Mixtral's expert width is intermediate_size), k = 2.
        var c = TinyConfigs.Create("mixtral");
        long attention = 192, norms = 16, router = 8 * 4, expert = 3 * 8 * 12;
        Assert.Equal(2 * (attention + norms + router + 4 * expert) + 8, ModelCost.Parameters(c, includeEmbedding: false));
        Assert.Equal(2 * (attention + norms + router + 2 * expert) + 8, ModelCost.ActiveParameters(c, includeEmbedding: false));
    }

    [Fact]
    public void Parameters_Qwen2Moe_CountsSharedExpertAndItsGate()
    {
        var c = TinyConfigs.Create("qwen2_moe"); // experts of width 6, shared expert of width 10
        long attention = 192 + 8 + 4 + 4, norms = 16, router = 8 * 4, shared = 3 * 8 * 10 + 8;
        Assert.Equal(2 * (attention + norms + router + 2 * 3 * 8 * 6 + shared) + 8, ModelCost.ActiveParameters(c, includeEmbedding: false));
    }

    // Published sizes: Mixtral 8x7B 46.7B total / 12.9B active; Qwen3-30B-A3B 30.5B / 3.3B;
    // OLMoE-1B-7B 6.9B / 1.3B; Qwen1.5-MoE-A2.7B 14.3B / 2.7B; Granite-3.0-1B-A400M 1.3B / 0.4B.
    // Granite's "A400M" is a rounded name (428M with the tied embedding), hence its wider bound.
    public static TheoryData<string, double, double, double> Published => new()
    {
        { SampleConfigs.Mixtral8x7B, 46.7e9, 12.9e9, 0.02 },
        { SampleConfigs.Qwen3Moe30BA3B, 30.5e9, 3.3e9, 0.05 },
        { SampleConfigs.Olmoe1B7B, 6.9e9, 1.3e9, 0.05 },
        { SampleConfigs.Qwen15MoeA27B, 14.3e9, 2.7e9, 0.05 },
        { SampleConfigs.Granite30MoeA400M, 1.33e9, 0.4e9, 0.1 },
    };

    [Theory, MemberData(nameof(Published))]
    public void Parameters_HubConfigs_MatchPublishedSizes(string json, double total, double active, double activeTolerance)
    {
        var c = ModelConfig.Parse(json);
        Assert.InRange(ModelCost.Parameters(c), total * 0.98, total * 1.02);
        Assert.InRange(ModelCost.ActiveParameters(c), active * (1 - activeTolerance), active * (1 + activeTolerance));
    }
}
