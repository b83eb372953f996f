using System.Text.Json;

namespace Switchyard.Models;

public sealed partial record ModelConfig
{
    /// <summary>
    /// Checks that the values are consistent: positive sizes; num_key_value_heads divides
    /// num_attention_heads; hidden_size divisible by num_attention_heads when head_dim is not given;
    /// an even head width (RoPE); 1 ≤ k ≤ experts; a positive expert width; layer indices in range;
    /// token ids inside the vocabulary; positive multipliers.
    /// </summary>
    /// <param name="path">The file the configuration came from, for the message; null for one built in code.</param>
    /// <exception cref="InvalidConfigException">The first inconsistent field, with what was expected and found.</exception>
    public void Validate(string? path = null)
    {
        InvalidConfigException Bad(string field, string expected, object found) => new(path, field, expected, Convert.ToString(found, System.Globalization.CultureInfo.InvariantCulture) ?? "null");
        void Positive(string field, int v) { if (v <= 0) throw Bad(field, "a positive integer", v); }
        void PositiveNumber(string field, double v) { if (!(v > 0) || double.IsInfinity(v)) throw Bad(field, "a positive finite number", v); }

        if (ArchitecturePresets.Find(ModelType) is null)
            throw Bad("model_type", $"one of {string.Join(", ", ArchitecturePresets.All.Select(p => p.ModelType))}", $"'{ModelType}'");
        Positive("vocab_size", VocabSize);
        Positive("hidden_size", HiddenSize);
        Positive("num_hidden_layers", NumHiddenLayers);
        Positive("num_attention_heads", NumAttentionHeads);
        Positive("max_position_embeddings", MaxPositionEmbeddings);
        if (NumKeyValueHeads is { } kv)
        {
            Positive("num_key_value_heads", kv);
            if (NumAttentionHeads % kv != 0) throw Bad("num_key_value_heads", $"a divisor of num_attention_heads ({NumAttentionHeads})", kv);
        }
        if (HeadDim is { } hd) Positive("head_dim", hd);
        else if (HiddenSize % NumAttentionHeads != 0)
            throw Bad("hidden_size", $"a multiple of num_attention_heads ({NumAttentionHeads}) when head_dim is not given", HiddenSize);
        if (EffectiveHeadDim % 2 != 0) throw Bad(HeadDim is null ? "hidden_size" : "head_dim", $"an even head width for RoPE, head width = {EffectiveHeadDim}", HeadDim ?? HiddenSize);
        PositiveNumber("rope_theta", RopeTheta);
        if (!(RmsNormEps >= 0) || double.IsInfinity(RmsNormEps)) throw Bad("rms_norm_eps", "a finite number ≥ 0", RmsNormEps);
        if (!(InitializerRange >= 0)) throw Bad("initializer_range", "a number ≥ 0", InitializerRange);
        if (!(RouterAuxLossCoef >= 0)) throw Bad("router_aux_loss_coef", "a number ≥ 0", RouterAuxLossCoef);
        PositiveNumber("embedding_multiplier", EmbeddingMultiplier);
        PositiveNumber("logits_scaling", LogitsScaling);
        PositiveNumber("residual_multiplier", ResidualMultiplier);
        if (AttentionMultiplier is { } am) PositiveNumber("attention_multiplier", am);
        if (ClipQkv is { } clip) PositiveNumber("clip_qkv", clip);

        string expertsField = Preset?.ExpertCountField ?? "num_experts";
        if (NumExperts < 0) throw Bad(expertsField, "an integer ≥ 0", NumExperts);
        if (DecoderSparseStep <= 0) throw Bad("decoder_sparse_step", "a positive integer", DecoderSparseStep);
        for (int i = 0; i < MlpOnlyLayers.Count; i++)
            if ((uint)MlpOnlyLayers[i] >= (uint)NumHiddenLayers)
                throw Bad($"mlp_only_layers[{i}]", $"a layer index in [0, {NumHiddenLayers})", MlpOnlyLayers[i]);
        if (SwitchyardOverrides() is { } layers)
        {
            var seen = new HashSet<int>();
            for (int i = 0; i < layers.Count; i++)
            {
                var o = layers[i];
                if ((uint)o.Index >= (uint)NumHiddenLayers) throw Bad($"switchyard.layers[{i}].index", $"a layer index in [0, {NumHiddenLayers})", o.Index);
                if (!seen.Add(o.Index)) throw Bad($"switchyard.layers[{i}].index", "each layer at most once", $"layer {o.Index} again");
                if (o.Kind == FeedForwardKind.Moe && NumExperts <= 0)
                    throw Bad($"switchyard.layers[{i}].kind", $"\"dense\" while {expertsField} is 0", "\"moe\"");
            }
        }
        bool anyDense = false, anyMoe = false;
        for (int i = 0; i < NumHiddenLayers; i++)
            if (LayerKind(i) == FeedForwardKind.Moe) anyMoe = true; else anyDense = true;
        if (anyDense) Positive("intermediate_size", IntermediateSize);
        if (anyMoe)
        {
            if (NumExpertsPerTok < 1 || NumExpertsPerTok > NumExperts)
                throw Bad("num_experts_per_tok", $"k in [1, {expertsField} = {NumExperts}]", NumExpertsPerTok);
            Positive(MoeIntermediateSize is null ? "intermediate_size" : "moe_intermediate_size", ExpertIntermediateSize);
            if (SharedIntermediateSize < 0) throw Bad("shared_expert_intermediate_size", "an integer ≥ 0", SharedIntermediateSize);
        }
        if (BosTokenId is { } bos && (uint)bos >= (uint)VocabSize) throw Bad("bos_token_id", $"a token id in [0, {VocabSize})", bos);
        for (int i = 0; i < EosTokenId.Count; i++)
            if ((uint)EosTokenId[i] >= (uint)VocabSize) throw Bad("eos_token_id", $"a token id in [0, {VocabSize})", EosTokenId[i]);
    }

    IReadOnlyList<LayerOverride>? SwitchyardOverrides() => Switchyard?.Layers;

    /// <summary>
    /// Validates and checks that Switchyard can build this model: SiLU activation, no
    /// <c>rope_scaling</c>, no sliding-window attention, no MLP biases.
    /// </summary>
    /// <exception cref="InvalidConfigException">A field asks for something not implemented (the message names it).</exception>
    public void EnsureBuildable(string? path = null)
    {
        Validate(path);
        if (HiddenAct != "silu") throw new InvalidConfigException(path, "hidden_act", "\"silu\" (the only activation implemented)", $"\"{HiddenAct}\"");
        if (UnknownFields.TryGetValue("rope_scaling", out var rs) && rs.ValueKind != JsonValueKind.Null)
            throw new InvalidConfigException(path, "rope_scaling", "null (RoPE scaling is not implemented)", rs.GetRawText());
        if (UnknownFields.TryGetValue("use_sliding_window", out var sw) && sw.ValueKind == JsonValueKind.True)
            throw new InvalidConfigException(path, "use_sliding_window", "false (sliding-window attention is not implemented)", "true");
        if (UnknownFields.TryGetValue("mlp_bias", out var mb) && mb.ValueKind == JsonValueKind.True)
            throw new InvalidConfigException(path, "mlp_bias", "false (MLP biases are not implemented)", "true");
        if (Switchyard?.Block is { } block && !MoeBlockCatalog.Names.Contains(block))
            throw new InvalidConfigException(path, "switchyard.block", $"one of {string.Join(", ", MoeBlockCatalog.Names.Select(n => $"\"{n}\""))}", $"\"{block}\"");
    }
}
