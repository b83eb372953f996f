using Switchyard.Formats;
using Switchyard.Formats.Gguf;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// <see cref="ModelConfig"/> ↔ llama.cpp GGUF metadata for the model family: <c>general.architecture</c>
/// (llama — Mixtral too, with <c>expert_count</c> — qwen2, qwen2moe, qwen3, qwen3moe, olmoe, granite,
/// granitemoe), <c>general.name</c>, <c>general.file_type</c> and the <c>{arch}.*</c> hyper-parameters
/// as llama.cpp's <c>convert_hf_to_gguf.py</c> writes them.
/// </summary>
/// <remarks>
/// <para>Fields GGUF has no key for (router choice, aux-loss coefficient, initializer range, …) travel in
/// <see cref="ConfigKey"/>, the whole <c>config.json</c> text; when present, <see cref="FromGguf"/> uses it
/// after checking that it agrees with the llama.cpp keys, so a Switchyard model comes back exactly.
/// Without it (files from llama.cpp), the configuration is rebuilt from the keys over the
/// architecture's preset.</para>
/// <para><c>norm_topk_prob</c> is written as <c>{arch}.expert_weights_norm</c>; files without it get what
/// llama.cpp hard-wires per architecture (renormalised for llama/Mixtral, qwen3moe and granitemoe; not
/// for qwen2moe and olmoe).</para>
/// </remarks>
public static class GgufModelConfig
{
    /// <summary>Metadata key holding the Switchyard <c>config.json</c> text.</summary>
    public const string ConfigKey = "switchyard.config";

    /// <summary>llama.cpp's <c>general.file_type</c> (<c>enum llama_ftype</c>) for a file whose 2-D weights are <paramref name="type"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A type llama_ftype has no "mostly" value for here.</exception>
    public static uint FileType(GgmlType type) => type switch
    {
        GgmlType.F32 => 0,
        GgmlType.F16 => 1,
        GgmlType.Q4_0 => 2,
        GgmlType.Q8_0 => 7,
        GgmlType.Q4_K => 15, // Q4_K_M
        GgmlType.Q6_K => 18,
        GgmlType.BF16 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no llama_ftype for this type"),
    };

    /// <summary>
    /// The metadata for <paramref name="config"/>, in the order llama.cpp's converter writes it:
    /// <c>general.architecture</c>, <c>general.name</c>, hyper-parameters, <c>general.file_type</c>,
    /// then <see cref="ConfigKey"/>.
    /// </summary>
    /// <param name="config">The configuration.</param>
    /// <param name="name"><c>general.name</c>; default the model type.</param>
    /// <param name="fileType">Type of the 2-D weights, for <c>general.file_type</c>.</param>
    /// <param name="includeConfigJson">Whether to add <see cref="ConfigKey"/>.</param>
    /// <exception cref="ArgumentException">The model type has no llama.cpp architecture.</exception>
    public static IReadOnlyList<KeyValuePair<string, GgufValue>> ToMetadata(ModelConfig config, string? name = null,
        GgmlType fileType = GgmlType.F32, bool includeConfigJson = true)
    {
        ArgumentNullException.ThrowIfNull(config);
        string arch = GgufTensorNames.Architecture(config.ModelType)
            ?? throw new ArgumentException($"model_type '{config.ModelType}' has no llama.cpp architecture", nameof(config));
        var m = new List<KeyValuePair<string, GgufValue>>();
        void Add(string key, GgufValue v) => m.Add(new(key, v));
        void U32(string key, long v) => Add($"{arch}.{key}", GgufValue.UInt32(checked((uint)v)));
        void F32(string key, double v) => Add($"{arch}.{key}", GgufValue.Float32((float)v));
        Add("general.architecture", GgufValue.String(arch));
        Add("general.name", GgufValue.String(name ?? config.ModelType));
        U32("vocab_size", config.VocabSize);
        U32("context_length", config.MaxPositionEmbeddings);
        U32("embedding_length", config.HiddenSize);
        U32("block_count", config.NumHiddenLayers);
        U32("feed_forward_length", config.IntermediateSize);
        U32("attention.head_count", config.NumAttentionHeads);
        U32("attention.head_count_kv", config.KeyValueHeads);
        F32("rope.freq_base", config.RopeTheta);
        F32("attention.layer_norm_rms_epsilon", config.RmsNormEps);
        U32("attention.key_length", config.EffectiveHeadDim);
        U32("attention.value_length", config.EffectiveHeadDim);
        if (config.NumExperts > 0)
        {
            U32("expert_count", config.NumExperts);
            U32("expert_used_count", config.NumExpertsPerTok);
            if (config.MoeIntermediateSize is { } f) U32("expert_feed_forward_length", f);
            if (config.SharedIntermediateSize > 0) U32("expert_shared_feed_forward_length", config.SharedIntermediateSize);
            Add($"{arch}.expert_weights_norm", GgufValue.Bool(config.NormTopkProb));
        }
        if (config.ClipQkv is { } clip) F32("attention.clamp_kqv", clip);
        if (arch is "granite" or "granitemoe")
        {
            F32("attention.scale", config.AttentionMultiplier ?? 1 / Math.Sqrt(config.EffectiveHeadDim));
            F32("embedding_scale", config.EmbeddingMultiplier);
            F32("residual_scale", config.ResidualMultiplier);
            F32("logit_scale", config.LogitsScaling);
        }
        Add("general.file_type", GgufValue.UInt32(FileType(fileType)));
        if (includeConfigJson) Add(ConfigKey, GgufValue.String(config.ToJson()));
        return m;
    }

    /// <summary>
    /// The configuration of the model in <paramref name="file"/>: <see cref="ConfigKey"/> when present
    /// (checked against the llama.cpp keys), otherwise rebuilt from the llama.cpp keys over the
    /// architecture's preset. Tied embeddings when the file has no <c>output.weight</c>;
    /// <c>attention_bias</c> when it has <c>blk.0.attn_output.bias</c>; dense layers of an MoE model
    /// (no <c>ffn_gate_inp</c>) become <c>mlp_only_layers</c>.
    /// </summary>
    /// <exception cref="InvalidModelFileException">An unknown architecture, a missing or mistyped key, or values that make no valid configuration.</exception>
    public static ModelConfig FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var reader = new Reader(file);
        ModelConfig fromKeys = reader.FromKeys();
        if (!file.Metadata.TryGet(ConfigKey, out GgufValue json)) return fromKeys;
        ModelConfig embedded;
        try { embedded = ModelConfig.Parse(reader.String(ConfigKey), file.FilePath); }
        catch (InvalidConfigException e) { throw reader.Bad(ConfigKey, $"embedded config.json is invalid: {e.Message}"); }
        // The llama.cpp keys are what other tools use; an embedded config that disagrees is stale.
        foreach (var (field, a, b) in new (string, long, long)[]
        {
            ("hidden_size", embedded.HiddenSize, fromKeys.HiddenSize), ("num_hidden_layers", embedded.NumHiddenLayers, fromKeys.NumHiddenLayers),
            ("num_attention_heads", embedded.NumAttentionHeads, fromKeys.NumAttentionHeads), ("num_key_value_heads", embedded.KeyValueHeads, fromKeys.KeyValueHeads),
            ("head_dim", embedded.EffectiveHeadDim, fromKeys.EffectiveHeadDim), ("vocab_size", embedded.VocabSize, fromKeys.VocabSize),
            ("num_experts", embedded.NumExperts, fromKeys.NumExperts), ("expert width", embedded.ExpertIntermediateSize, fromKeys.ExpertIntermediateSize),
        })
        {
            if (a != b) throw reader.Bad(ConfigKey, $"embedded config.json has {field} {a}, the llama.cpp metadata {b}");
        }
        return embedded;
    }

    sealed class Reader(GgufFile file)
    {
        string _arch = "";

        public ModelConfig FromKeys()
        {
            _arch = String("general.architecture");
            long experts = Int("expert_count", 0);
            string modelType = _arch switch
            {
                "llama" => experts > 0 ? "mixtral" : "llama",
                "qwen2" or "qwen3" or "olmoe" or "granite" or "granitemoe" => _arch,
                "qwen2moe" => "qwen2_moe",
                "qwen3moe" => "qwen3_moe",
                _ => throw Bad("general.architecture", $"expected one of llama, qwen2, qwen2moe, qwen3, qwen3moe, olmoe, granite, granitemoe; found '{_arch}'"),
            };
            ModelConfig preset = ArchitecturePresets.Defaults(modelType);
            int hidden = Int32("embedding_length", null);
            int heads = Int32("attention.head_count", null);
            int layers = Int32("block_count", null);
            int? expertWidth = Has("expert_feed_forward_length") ? Int32("expert_feed_forward_length", null) : null;
            int ffn = Int32("feed_forward_length", expertWidth ?? 0);
            int vocab = Has("vocab_size") ? Int32("vocab_size", null)
                : file.TryGetTensor("token_embd.weight", out var embd) && embd.Dimensions.Length == 2 ? (int)Math.Min(int.MaxValue, embd.Dimensions[1])
                : throw Bad($"{_arch}.vocab_size", "missing, and no 2-D token_embd.weight to take it from");
            bool moeArch = preset.NumExperts > 0;
            var dense = new List<int>();
            if (experts > 0)
                for (int i = 0; i < layers; i++)
                    if (!file.Contains($"blk.{i}.ffn_gate_inp.weight")) dense.Add(i);
            bool normDefault = modelType is "mixtral" or "qwen3_moe" or "granitemoe";
            var config = preset with
            {
                VocabSize = vocab,
                HiddenSize = hidden,
                IntermediateSize = ffn,
                NumHiddenLayers = layers,
                NumAttentionHeads = heads,
                NumKeyValueHeads = Int32("attention.head_count_kv", heads),
                HeadDim = HeadDim(preset, hidden, heads),
                MaxPositionEmbeddings = Int32("context_length", preset.MaxPositionEmbeddings),
                RopeTheta = Double("rope.freq_base", preset.RopeTheta),
                RmsNormEps = Double("attention.layer_norm_rms_epsilon", preset.RmsNormEps),
                TieWordEmbeddings = !file.Contains("output.weight"),
                AttentionBias = file.Contains("blk.0.attn_output.bias"),
                NumExperts = moeArch || experts > 0 ? (int)experts : 0,
                NumExpertsPerTok = experts > 0 ? Int32("expert_used_count", null) : 0,
                MoeIntermediateSize = preset.MoeIntermediateSize is null ? null : expertWidth ?? ffn,
                SharedExpertIntermediateSize = preset.SharedExpertIntermediateSize is null ? null
                    : Has("expert_shared_feed_forward_length") ? Int32("expert_shared_feed_forward_length", null) : 0,
                NormTopkProb = experts > 0 ? Bool("expert_weights_norm", normDefault) : preset.NormTopkProb,
                MlpOnlyLayers = dense.Count > 0 && dense.Count < layers ? dense : [],
                ClipQkv = Has("attention.clamp_kqv") ? Double("attention.clamp_kqv", 0) : preset.ClipQkv,
                AttentionMultiplier = _arch is "granite" or "granitemoe" ? Double("attention.scale", preset.AttentionMultiplier ?? 1) : preset.AttentionMultiplier,
                EmbeddingMultiplier = Double("embedding_scale", preset.EmbeddingMultiplier),
                ResidualMultiplier = Double("residual_scale", preset.ResidualMultiplier),
                LogitsScaling = Double("logit_scale", preset.LogitsScaling),
                BosTokenId = file.Metadata.TryGet("tokenizer.ggml.bos_token_id", out _) ? (int)Global("tokenizer.ggml.bos_token_id") : null,
                EosTokenId = file.Metadata.TryGet("tokenizer.ggml.eos_token_id", out _) ? [(int)Global("tokenizer.ggml.eos_token_id")] : [],
            };
            if (experts > 0 && dense.Count == layers)
                throw Bad($"{_arch}.expert_count", $"{experts} experts, but no layer has a router (blk.N.ffn_gate_inp.weight)");
            try { config.Validate(file.FilePath); }
            catch (InvalidConfigException e) { throw Bad("general.architecture", $"the metadata makes no valid configuration: {e.Message}"); }
            return config;
        }

        // The file states the width (key_length), so the configuration does too.
        int? HeadDim(ModelConfig preset, int hidden, int heads) => Int32("attention.key_length", heads > 0 ? hidden / heads : preset.HeadDim ?? 0);

        bool Has(string key) => file.Metadata.ContainsKey($"{_arch}.{key}");

        int Int32(string key, int? fallback)
        {
            long v = Int(key, fallback);
            return v is >= 0 and <= int.MaxValue ? (int)v : throw Bad($"{_arch}.{key}", $"expected 0..{int.MaxValue}, found {v}");
        }

        long Int(string key, long? fallback)
        {
            string full = $"{_arch}.{key}";
            if (!file.Metadata.TryGet(full, out GgufValue v))
                return fallback ?? throw Bad(full, "missing");
            return Convert(full, v, x => x.ToInt64());
        }

        long Global(string full) => Convert(full, file.Metadata[full], x => x.ToInt64());

        double Double(string key, double fallback)
        {
            string full = $"{_arch}.{key}";
            if (!file.Metadata.TryGet(full, out GgufValue v)) return fallback;
            // FLOAT32 as the shortest decimal that round-trips (1e-6, not 9.99999997e-7): configs hold what people wrote.
            return v.Type == GgufValueType.Float32
                ? double.Parse(v.AsFloat32().ToString("R", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture)
                : Convert(full, v, x => x.ToDouble());
        }

        bool Bool(string key, bool fallback)
        {
            string full = $"{_arch}.{key}";
            return file.Metadata.TryGet(full, out GgufValue v) ? Convert(full, v, x => x.AsBool()) : fallback;
        }

        public string String(string full) =>
            file.Metadata.TryGet(full, out GgufValue v) ? Convert(full, v, x => x.AsString()) : throw Bad(full, "missing");

        T Convert<T>(string key, GgufValue v, Func<GgufValue, T> read)
        {
            try { return read(v); }
            catch (InvalidOperationException e) { throw Bad(key, e.Message); }
        }

        public InvalidModelFileException Bad(string key, string why)
        {
            long at = file.Metadata.OffsetOf(key);
            return new InvalidModelFileException(file.FilePath, at < 0 ? 0 : at, $"metadata '{key}': {why}");
        }
    }
}
