using System.Text.Json;

namespace Switchyard.Models;

/// <summary>
/// A decoder-only model's architecture, one property per Hugging Face <c>config.json</c> field
/// (same snake_case name in the file) for Llama, Qwen2/Qwen3, Mixtral, Qwen2-MoE, Qwen3-MoE,
/// OLMoE and Granite-MoE, plus the <c>"switchyard"</c> extension object. Read with
/// <see cref="Load"/>/<see cref="Parse"/>, check with <see cref="Validate"/>, write with <see cref="Save"/>.
/// </summary>
/// <remarks>
/// <para>Fields a file omits take the defaults of its <c>model_type</c>'s transformers config class
/// (<see cref="ArchitecturePresets"/>). Fields this type does not model (<c>use_cache</c>,
/// <c>sliding_window</c>, <c>transformers_version</c>, …) are kept in <see cref="UnknownFields"/>
/// and written back unchanged, so load → save loses nothing.</para>
/// <para>Supported q/k norms: Qwen3's per-head norm (implied by <c>qwen3</c>/<c>qwen3_moe</c>) and
/// OLMoE's norm over the whole projection (implied by <c>olmoe</c>); <c>switchyard.qk_norm</c>
/// overrides either. OLMoE's <c>clip_qkv</c> and Granite's four multipliers are honoured.
/// <c>rope_scaling</c>, sliding windows and activations other than SiLU are read and kept but
/// a model cannot be built from them (<see cref="EnsureBuildable"/>).</para>
/// <para>In code, start from a preset so that architecture behaviour comes with the type:
/// <c>ArchitecturePresets.Defaults("qwen3_moe") with { NumHiddenLayers = 4, … }</c>; a bare
/// <c>new ModelConfig { ModelType = … }</c> has neutral defaults (no q/k norm, no experts).</para>
/// </remarks>
public sealed partial record ModelConfig
{
    /// <summary><c>model_type</c>: selects the architecture preset, e.g. <c>mixtral</c>, <c>qwen3_moe</c>.</summary>
    public required string ModelType { get; init; }

    /// <summary><c>architectures</c>, e.g. <c>["MixtralForCausalLM"]</c>.</summary>
    public IReadOnlyList<string> Architectures { get; init; } = [];

    /// <summary><c>vocab_size</c>.</summary>
    public int VocabSize { get; init; }

    /// <summary><c>hidden_size</c>: model width d.</summary>
    public int HiddenSize { get; init; }

    /// <summary><c>intermediate_size</c>: width of dense MLPs; for Mixtral, OLMoE and Granite also the expert width.</summary>
    public int IntermediateSize { get; init; }

    /// <summary><c>moe_intermediate_size</c> (Qwen-MoE): expert width; null elsewhere.</summary>
    public int? MoeIntermediateSize { get; init; }

    /// <summary><c>shared_expert_intermediate_size</c> (Qwen2-MoE): width of the shared expert; null or 0 for none.</summary>
    public int? SharedExpertIntermediateSize { get; init; }

    /// <summary><c>num_hidden_layers</c>.</summary>
    public int NumHiddenLayers { get; init; }

    /// <summary><c>num_attention_heads</c>: query heads.</summary>
    public int NumAttentionHeads { get; init; }

    /// <summary><c>num_key_value_heads</c>; null means as many as query heads.</summary>
    public int? NumKeyValueHeads { get; init; }

    /// <summary><c>head_dim</c>; null means hidden_size / num_attention_heads.</summary>
    public int? HeadDim { get; init; }

    /// <summary><c>rope_theta</c>: RoPE base.</summary>
    public double RopeTheta { get; init; } = 10000;

    /// <summary><c>rms_norm_eps</c>.</summary>
    public double RmsNormEps { get; init; } = 1e-6;

    /// <summary><c>max_position_embeddings</c>.</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary><c>tie_word_embeddings</c>: lm_head reuses <c>model.embed_tokens.weight</c>.</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary><c>num_local_experts</c> (Mixtral, Granite) or <c>num_experts</c> (Qwen, OLMoE): routed experts per MoE layer; 0 for a dense model.</summary>
    public int NumExperts { get; init; }

    /// <summary><c>num_experts_per_tok</c>: k.</summary>
    public int NumExpertsPerTok { get; init; }

    /// <summary><c>norm_topk_prob</c>: renormalise the selected experts' probabilities (Mixtral and Granite always do; OLMoE and Qwen1.5-MoE do not).</summary>
    public bool NormTopkProb { get; init; }

    /// <summary><c>decoder_sparse_step</c> (Qwen-MoE): layer i is MoE when (i + 1) % step == 0.</summary>
    public int DecoderSparseStep { get; init; } = 1;

    /// <summary><c>mlp_only_layers</c> (Qwen-MoE): layers that stay dense.</summary>
    public IReadOnlyList<int> MlpOnlyLayers { get; init; } = [];

    /// <summary><c>router_aux_loss_coef</c>: coefficient of the load-balancing loss.</summary>
    public double RouterAuxLossCoef { get; init; } = 0.001;

    /// <summary><c>output_router_logits</c>: whether transformers adds the aux loss during training.</summary>
    public bool OutputRouterLogits { get; init; }

    /// <summary><c>attention_bias</c>: biases on q, k, v and o. Qwen2 and Qwen2-MoE have q/k/v biases without a field (<see cref="ArchitecturePreset.ImplicitQkvBias"/>).</summary>
    public bool AttentionBias { get; init; }

    /// <summary><c>clip_qkv</c> (OLMoE): clamp q, k, v to ±value; null for none.</summary>
    public double? ClipQkv { get; init; }

    /// <summary><c>embedding_multiplier</c> (Granite): scales the token embeddings.</summary>
    public double EmbeddingMultiplier { get; init; } = 1;

    /// <summary><c>logits_scaling</c> (Granite): logits are divided by it.</summary>
    public double LogitsScaling { get; init; } = 1;

    /// <summary><c>residual_multiplier</c> (Granite): scales each block's output before the residual add.</summary>
    public double ResidualMultiplier { get; init; } = 1;

    /// <summary><c>attention_multiplier</c> (Granite): the attention score scale; null means 1/√head_dim.</summary>
    public double? AttentionMultiplier { get; init; }

    /// <summary><c>initializer_range</c>: std of initial weights.</summary>
    public double InitializerRange { get; init; } = 0.02;

    /// <summary><c>hidden_act</c>; only <c>silu</c> can be built.</summary>
    public string HiddenAct { get; init; } = "silu";

    /// <summary><c>bos_token_id</c>, or null.</summary>
    public int? BosTokenId { get; init; }

    /// <summary><c>eos_token_id</c>: one id or several (Llama 3 lists several); empty for none.</summary>
    public IReadOnlyList<int> EosTokenId { get; init; } = [];

    /// <summary><c>torch_dtype</c> of the stored weights (<c>bfloat16</c>, <c>float32</c>, …), or null.</summary>
    public string? TorchDtype { get; init; }

    /// <summary>The q/k norm in effect: the architecture's unless <c>switchyard.qk_norm</c> says otherwise.</summary>
    public QkNormKind QkNorm { get; init; }

    /// <summary>The <c>"switchyard"</c> extension object, or null when the file has none.</summary>
    public SwitchyardOptions? Switchyard { get; init; }

    /// <summary>Top-level fields this type does not model, kept verbatim (a modelled field whose value is <c>null</c> in the file is kept here too).</summary>
    public IReadOnlyDictionary<string, JsonElement> UnknownFields { get; init; } = new Dictionary<string, JsonElement>();

    // Names of the modelled fields the source file had, so that writing back emits them even
    // when the architecture's preset would not (e.g. head_dim in a Mixtral file).
    internal IReadOnlySet<string> SourceFields { get; init; } = new HashSet<string>();

    /// <summary>Key/value heads in effect.</summary>
    public int KeyValueHeads => NumKeyValueHeads ?? NumAttentionHeads;

    /// <summary>Head width in effect.</summary>
    public int EffectiveHeadDim => HeadDim ?? (NumAttentionHeads > 0 ? HiddenSize / NumAttentionHeads : 0);

    /// <summary>Whether any layer is MoE.</summary>
    public bool IsMoe
    {
        get
        {
            for (int i = 0; i < NumHiddenLayers; i++)
                if (LayerKind(i) == FeedForwardKind.Moe) return true;
            return false;
        }
    }

    /// <summary>Width F of one routed expert: <c>moe_intermediate_size</c> where the architecture has it, else <c>intermediate_size</c>.</summary>
    public int ExpertIntermediateSize => MoeIntermediateSize ?? IntermediateSize;

    /// <summary>Width of the shared expert(s) applied to every token; 0 for none.</summary>
    public int SharedIntermediateSize => SharedExpertIntermediateSize ?? 0;

    /// <summary>
    /// Whether layer <paramref name="layer"/> is dense or MoE: a <c>switchyard.layers</c> override
    /// first; otherwise dense when there are no experts, when the layer is in
    /// <c>mlp_only_layers</c>, or when (layer + 1) is not a multiple of <c>decoder_sparse_step</c>
    /// (transformers' Qwen-MoE rule; the other architectures have step 1 and no list).
    /// </summary>
    public FeedForwardKind LayerKind(int layer)
    {
        var o = Override(layer);
        if (o?.Kind is { } kind) return kind;
        if (NumExperts <= 0) return FeedForwardKind.Dense;
        foreach (int l in MlpOnlyLayers)
            if (l == layer) return FeedForwardKind.Dense;
        return DecoderSparseStep > 0 && (layer + 1) % DecoderSparseStep == 0 ? FeedForwardKind.Moe : FeedForwardKind.Dense;
    }

    /// <summary>Router catalog name for layer <paramref name="layer"/>: its override, else <c>switchyard.router</c>, else null (the architecture's softmax top-k).</summary>
    public string? RouterFor(int layer) => Override(layer)?.Router ?? Switchyard?.Router;

    /// <summary>Router options for layer <paramref name="layer"/>: its override's, else <c>switchyard.router_options</c>, else null.</summary>
    public JsonElement? RouterOptionsFor(int layer) => Override(layer)?.RouterOptions ?? Switchyard?.RouterOptions;

    /// <summary>The architecture preset of <see cref="ModelType"/>, or null for an unknown type.</summary>
    public ArchitecturePreset? Preset => ArchitecturePresets.Find(ModelType);

    /// <summary>The MoE tensor names of this architecture (Qwen's for unknown types).</summary>
    public MoeTensorNames MoeNames => Preset?.MoeNames ?? MoeTensorNames.Qwen;

    LayerOverride? Override(int layer)
    {
        if (Switchyard is null) return null;
        foreach (var o in Switchyard.Layers)
            if (o.Index == layer) return o;
        return null;
    }

    /// <summary>
    /// The dense control of this MoE configuration (shared/specs/baselines.md §9): the same model
    /// with one SwiGLU MLP of width k·F + shared width in every layer, so that active parameters per
    /// token match the MoE layers' (the router's d·E weights and the shared-expert gate aside).
    /// A dense model has one <c>intermediate_size</c>, so in a mixed model (Qwen
    /// <c>mlp_only_layers</c>, <c>decoder_sparse_step</c> &gt; 1) the originally dense layers take that
    /// width too; <see cref="ModelCost"/> reports both models' exact counts for the comparison.
    /// The result has the architecture's dense <c>model_type</c> (mixtral → llama, qwen2_moe →
    /// qwen2, qwen3_moe → qwen3, olmoe → llama with <c>switchyard.qk_norm</c> "full" and
    /// <c>clip_qkv</c>, granitemoe → granite).
    /// </summary>
    /// <exception cref="InvalidOperationException">The configuration has no MoE layer.</exception>
    public ModelConfig DenseControl()
    {
        if (!IsMoe) throw new InvalidOperationException("the configuration has no MoE layer; it is its own dense control");
        int width = NumExpertsPerTok * ExpertIntermediateSize + SharedIntermediateSize;
        string dense = Preset?.DenseModelType ?? "llama";
        if (dense == "llama" && QkNorm == QkNormKind.PerHead) dense = "qwen3";
        bool full = QkNorm == QkNormKind.FullProjection;
        // Fields llama has no preset entry for are written only when they change the math.
        var keep = new HashSet<string>();
        if (ClipQkv is not null) keep.Add("clip_qkv");
        if (EmbeddingMultiplier != 1) keep.Add("embedding_multiplier");
        if (LogitsScaling != 1) keep.Add("logits_scaling");
        if (ResidualMultiplier != 1) keep.Add("residual_multiplier");
        if (AttentionMultiplier is not null) keep.Add("attention_multiplier");
        SwitchyardOptions? ext = Switchyard is null && !full ? null
            : (Switchyard ?? new SwitchyardOptions()) with { Router = null, RouterOptions = null, Layers = [], QkNorm = full ? QkNorm : null };
        return this with
        {
            ModelType = dense,
            Architectures = [ArchitecturePresets.Get(dense).ArchitectureClass],
            IntermediateSize = width,
            MoeIntermediateSize = null,
            SharedExpertIntermediateSize = null,
            NumExperts = 0,
            NumExpertsPerTok = 0,
            NormTopkProb = false,
            DecoderSparseStep = 1,
            MlpOnlyLayers = [],
            RouterAuxLossCoef = 0,
            OutputRouterLogits = false,
            HeadDim = EffectiveHeadDim,
            NumKeyValueHeads = KeyValueHeads,
            Switchyard = ext,
            SourceFields = keep,
        };
    }
}
