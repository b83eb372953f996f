namespace Switchyard.Models;

/// <summary>
/// The architectures Switchyard builds and reads, by <c>model_type</c>: <c>llama</c>, <c>qwen2</c>,
/// <c>qwen3</c>, <c>granite</c> (dense) and <c>mixtral</c>, <c>qwen2_moe</c>, <c>qwen3_moe</c>,
/// <c>olmoe</c>, <c>granitemoe</c> (MoE). Defaults are those of the transformers config classes
/// (transformers 4.5x), so a <c>config.json</c> that omits a field means what it means there.
/// </summary>
public static class ArchitecturePresets
{
    static readonly string[] Common =
    [
        "model_type", "architectures", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
        "num_attention_heads", "num_key_value_heads", "rope_theta", "rms_norm_eps", "max_position_embeddings",
        "tie_word_embeddings", "initializer_range", "hidden_act", "bos_token_id", "eos_token_id", "torch_dtype",
    ];

    static readonly string[] MoeCommon = ["num_experts_per_tok", "router_aux_loss_coef", "output_router_logits"];
    static readonly string[] QwenMoe = ["moe_intermediate_size", "norm_topk_prob", "decoder_sparse_step", "mlp_only_layers"];
    static readonly string[] GraniteFields = ["attention_bias", "embedding_multiplier", "logits_scaling", "residual_multiplier", "attention_multiplier"];

    static readonly Dictionary<string, ArchitecturePreset> ByType = Build();

    /// <summary>Every known preset, dense ones first.</summary>
    public static IReadOnlyCollection<ArchitecturePreset> All => ByType.Values;

    /// <summary>The preset of <paramref name="modelType"/>, or null when unknown.</summary>
    public static ArchitecturePreset? Find(string? modelType) =>
        modelType is not null && ByType.TryGetValue(modelType, out var p) ? p : null;

    /// <summary>The preset of <paramref name="modelType"/>.</summary>
    /// <exception cref="InvalidConfigException">Unknown model type (the message lists the known ones).</exception>
    public static ArchitecturePreset Get(string modelType) =>
        Find(modelType) ?? throw new InvalidConfigException(null, "model_type", $"one of {string.Join(", ", ByType.Keys)}", $"'{modelType}'");

    /// <summary>The default configuration of <paramref name="modelType"/> (the transformers config class's defaults).</summary>
    /// <exception cref="InvalidConfigException">Unknown model type.</exception>
    public static ModelConfig Defaults(string modelType) => Get(modelType).Defaults;

    static Dictionary<string, ArchitecturePreset> Build()
    {
        var d = new Dictionary<string, ArchitecturePreset>(StringComparer.Ordinal);
        void Add(string type, string cls, string dense, ModelConfig defaults, string? expertField, MoeTensorNames names,
            string[] extra, bool qkvBias = false, bool sharedGate = false)
        {
            var fields = new HashSet<string>(Common, StringComparer.Ordinal);
            fields.UnionWith(extra);
            if (expertField is not null) { fields.Add(expertField); fields.UnionWith(MoeCommon); }
            d[type] = new ArchitecturePreset(type, cls, dense, defaults with { ModelType = type, Architectures = [cls] }, fields, expertField, names, qkvBias, sharedGate);
        }

        var llama = new ModelConfig
        {
            ModelType = "llama", VocabSize = 32000, HiddenSize = 4096, IntermediateSize = 11008, NumHiddenLayers = 32,
            NumAttentionHeads = 32, RopeTheta = 10000, RmsNormEps = 1e-6, MaxPositionEmbeddings = 2048,
            BosTokenId = 1, EosTokenId = [2], RouterAuxLossCoef = 0,
        };
        Add("llama", "LlamaForCausalLM", "llama", llama, null, MoeTensorNames.Qwen, ["attention_bias", "head_dim"]);
        var qwen2 = llama with
        {
            VocabSize = 151936, IntermediateSize = 22016, NumKeyValueHeads = 32, MaxPositionEmbeddings = 32768,
            BosTokenId = null, EosTokenId = [],
        };
        Add("qwen2", "Qwen2ForCausalLM", "qwen2", qwen2, null, MoeTensorNames.Qwen, [], qkvBias: true);
        Add("qwen3", "Qwen3ForCausalLM", "qwen3", qwen2 with { HeadDim = 128, QkNorm = QkNormKind.PerHead }, null, MoeTensorNames.Qwen,
            ["attention_bias", "head_dim"]);
        var granite = llama with { AttentionMultiplier = 1.0 };
        Add("granite", "GraniteForCausalLM", "granite", granite, null, MoeTensorNames.Qwen, GraniteFields);

        Add("mixtral", "MixtralForCausalLM", "llama", llama with
        {
            IntermediateSize = 14336, NumKeyValueHeads = 8, MaxPositionEmbeddings = 4096 * 32, RmsNormEps = 1e-5, RopeTheta = 1e6,
            NumExperts = 8, NumExpertsPerTok = 2, NormTopkProb = true, RouterAuxLossCoef = 0.001,
        }, "num_local_experts", MoeTensorNames.Mixtral, ["head_dim"]);
        Add("qwen2_moe", "Qwen2MoeForCausalLM", "qwen2", qwen2 with
        {
            NumExperts = 60, NumExpertsPerTok = 4, MoeIntermediateSize = 1408, SharedExpertIntermediateSize = 5632,
            NormTopkProb = false, RouterAuxLossCoef = 0.001,
        }, "num_experts", MoeTensorNames.Qwen2Moe, [.. QwenMoe, "shared_expert_intermediate_size"], qkvBias: true, sharedGate: true);
        Add("qwen3_moe", "Qwen3MoeForCausalLM", "qwen3", qwen2 with
        {
            HiddenSize = 2048, IntermediateSize = 6144, NumHiddenLayers = 24, NumKeyValueHeads = 4, HeadDim = 128, QkNorm = QkNormKind.PerHead,
            NumExperts = 128, NumExpertsPerTok = 8, MoeIntermediateSize = 768, NormTopkProb = false, RouterAuxLossCoef = 0.001,
        }, "num_experts", MoeTensorNames.Qwen, [.. QwenMoe, "attention_bias", "head_dim"]);
        Add("olmoe", "OlmoeForCausalLM", "llama", llama with
        {
            VocabSize = 50304, HiddenSize = 2048, IntermediateSize = 2048, NumHiddenLayers = 16, NumAttentionHeads = 16,
            MaxPositionEmbeddings = 4096, RmsNormEps = 1e-5, BosTokenId = null, EosTokenId = [50279], QkNorm = QkNormKind.FullProjection,
            NumExperts = 64, NumExpertsPerTok = 8, NormTopkProb = false, RouterAuxLossCoef = 0.01,
        }, "num_experts", MoeTensorNames.Qwen, ["attention_bias", "clip_qkv", "norm_topk_prob"]);
        Add("granitemoe", "GraniteMoeForCausalLM", "granite", granite with
        {
            NumExperts = 8, NumExpertsPerTok = 2, NormTopkProb = true, RouterAuxLossCoef = 0.001,
        }, "num_local_experts", MoeTensorNames.Granite, GraniteFields);
        return d;
    }
}
