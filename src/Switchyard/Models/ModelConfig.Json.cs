using System.Globalization;
using System.Text;
using System.Text.Json;
using Switchyard.Formats;

namespace Switchyard.Models;

// Reading and writing config.json. System.Text.Json's DOM, not the reflection serializer: the
// library is AOT-compatible, and field-by-field reading gives errors that name the field.
public sealed partial record ModelConfig
{
    /// <summary>
    /// Reads and validates the <c>config.json</c> at <paramref name="path"/>. Omitted fields take
    /// the defaults of the file's <c>model_type</c>; unknown fields are kept for writing back.
    /// </summary>
    /// <exception cref="InvalidConfigException">The file is not JSON, a field has the wrong type, or the values are inconsistent (the message names the file and the field).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static ModelConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return ParseUtf8(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses and validates <c>config.json</c> text; <paramref name="path"/> only names the source in errors.</summary>
    /// <exception cref="InvalidConfigException">As <see cref="Load"/>.</exception>
    public static ModelConfig Parse(string json, string? path = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        return ParseUtf8(Encoding.UTF8.GetBytes(json), path);
    }

    static ModelConfig ParseUtf8(byte[] utf8, string? path)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(utf8, new JsonDocumentOptions { AllowTrailingCommas = false }); }
        catch (JsonException e)
        {
            throw new InvalidConfigException(path, "(file)", "a JSON object", $"invalid JSON at byte {JsonText.Position(utf8, e)}: {JsonText.Describe(e)}");
        }
        using (doc)
        {
            var reader = new FieldReader(path);
            var config = reader.Read(doc.RootElement);
            config.Validate(path);
            return config;
        }
    }

    /// <summary>
    /// The configuration as <c>config.json</c> text: keys sorted as transformers writes them, two-space
    /// indentation. Written fields: those of the architecture's config class, those the source file
    /// had, unknown fields verbatim, and the <c>"switchyard"</c> object when present. Optional fields
    /// without a value are written as <c>null</c>.
    /// </summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        WriteTo(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically (the old file stays intact if anything fails).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.Write(path, WriteTo);
    }

    /// <summary>
    /// Two configurations are equal when they write the same <c>config.json</c> (<see cref="ToJson"/>):
    /// value equality over every field, lists and the extension included, which the record's
    /// default member-wise equality would not give (lists compare by reference).
    /// </summary>
    public bool Equals(ModelConfig? other) =>
        other is not null && (ReferenceEquals(this, other) || string.Equals(ToJson(), other.ToJson(), StringComparison.Ordinal));

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToJson());

    /// <summary>The <c>config.json</c> text (<see cref="ToJson"/>).</summary>
    public override string ToString() => ToJson();

    void WriteTo(Stream stream)
    {
        var preset = Preset;
        var names = new HashSet<string>(SourceFields, StringComparer.Ordinal);
        if (preset is not null) names.UnionWith(preset.Fields);
        names.Add("model_type");
        var fields = new SortedDictionary<string, object?>(StringComparer.Ordinal);
        // An unset optional field is written as null, as transformers does: omitted, it would read
        // back as the preset's default (a dropped eos_token_id would become the preset's).
        foreach (string name in names) fields[name] = Value(name);
        foreach (var (name, element) in UnknownFields)
            fields.TryAdd(name, element);
        // A q/k norm other than the architecture's can only be said in the extension object.
        var ext = Switchyard;
        if (QkNorm != (preset?.Defaults.QkNorm ?? QkNormKind.None) || ext?.QkNorm is not null)
            ext = (ext ?? new SwitchyardOptions()) with { QkNorm = QkNorm };
        if (ext is not null) fields["switchyard"] = ext;

        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, IndentSize = 2 });
        w.WriteStartObject();
        foreach (var (name, value) in fields)
        {
            w.WritePropertyName(name);
            WriteValue(w, value);
        }
        w.WriteEndObject();
        w.Flush();
        stream.Write("\n"u8);
    }

    // The value of a modelled field by its JSON name; null for an unset optional one.
    object? Value(string name) => name switch
    {
        "model_type" => ModelType,
        "architectures" => Architectures,
        "vocab_size" => VocabSize,
        "hidden_size" => HiddenSize,
        "intermediate_size" => IntermediateSize,
        "moe_intermediate_size" => MoeIntermediateSize,
        "shared_expert_intermediate_size" => SharedExpertIntermediateSize,
        "num_hidden_layers" => NumHiddenLayers,
        "num_attention_heads" => NumAttentionHeads,
        "num_key_value_heads" => NumKeyValueHeads,
        "head_dim" => HeadDim,
        "rope_theta" => RopeTheta,
        "rms_norm_eps" => RmsNormEps,
        "max_position_embeddings" => MaxPositionEmbeddings,
        "tie_word_embeddings" => TieWordEmbeddings,
        "num_local_experts" or "num_experts" => NumExperts,
        "num_experts_per_tok" => NumExpertsPerTok,
        "norm_topk_prob" => NormTopkProb,
        "decoder_sparse_step" => DecoderSparseStep,
        "mlp_only_layers" => MlpOnlyLayers,
        "router_aux_loss_coef" => RouterAuxLossCoef,
        "output_router_logits" => OutputRouterLogits,
        "attention_bias" => AttentionBias,
        "clip_qkv" => ClipQkv,
        "embedding_multiplier" => EmbeddingMultiplier,
        "logits_scaling" => LogitsScaling,
        "residual_multiplier" => ResidualMultiplier,
        "attention_multiplier" => AttentionMultiplier,
        "initializer_range" => InitializerRange,
        "hidden_act" => HiddenAct,
        "bos_token_id" => BosTokenId,
        "eos_token_id" => EosTokenId.Count == 0 ? null : EosTokenId.Count == 1 && !EosIsList ? EosTokenId[0] : EosTokenId,
        "torch_dtype" => TorchDtype,
        _ => null,
    };

    // Whether eos_token_id was a list in the source (Llama 3 style), so one id is written back as a list.
    internal bool EosIsList { get; init; }

    static void WriteValue(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); break;
            case string s: w.WriteStringValue(s); break;
            case int i: w.WriteNumberValue(i); break;
            case double d: w.WriteRawValue(PythonFloat(d)); break;
            case bool b: w.WriteBooleanValue(b); break;
            case JsonElement e: e.WriteTo(w); break;
            case IReadOnlyList<int> ints:
                w.WriteStartArray();
                foreach (int x in ints) w.WriteNumberValue(x);
                w.WriteEndArray();
                break;
            case IReadOnlyList<string> strings:
                w.WriteStartArray();
                foreach (string x in strings) w.WriteStringValue(x);
                w.WriteEndArray();
                break;
            case SwitchyardOptions o: WriteSwitchyard(w, o); break;
            default: throw new InvalidOperationException($"cannot write {value.GetType().Name}");
        }
    }

    static void WriteSwitchyard(Utf8JsonWriter w, SwitchyardOptions o)
    {
        var fields = new SortedDictionary<string, Action>(StringComparer.Ordinal);
        if (o.Router is not null) fields["router"] = () => w.WriteStringValue(o.Router);
        if (o.RouterOptions is { } ro) fields["router_options"] = () => ro.WriteTo(w);
        if (o.QkNorm is { } qk) fields["qk_norm"] = () => w.WriteStringValue(QkNormName(qk));
        if (o.Block is not null) fields["block"] = () => w.WriteStringValue(o.Block);
        if (o.BlockOptions is { } bo) fields["block_options"] = () => bo.WriteTo(w);
        if (o.Layers.Count > 0)
            fields["layers"] = () =>
            {
                w.WriteStartArray();
                foreach (var l in o.Layers)
                {
                    w.WriteStartObject();
                    w.WriteNumber("index", l.Index);
                    if (l.Kind is { } k) w.WriteString("kind", k == FeedForwardKind.Dense ? "dense" : "moe");
                    if (l.Router is not null) w.WriteString("router", l.Router);
                    if (l.RouterOptions is { } lo) { w.WritePropertyName("router_options"); lo.WriteTo(w); }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            };
        foreach (var (name, element) in o.UnknownFields)
            fields.TryAdd(name, () => element.WriteTo(w));
        w.WriteStartObject();
        foreach (var (name, write) in fields)
        {
            w.WritePropertyName(name);
            write();
        }
        w.WriteEndObject();
    }

    // Floats as Python's json writes them ("1000000.0", "1e-05"), so that a config written here
    // diffs cleanly against one written by transformers and reads back as a float there.
    static string PythonFloat(double d)
    {
        if (!double.IsFinite(d)) throw new InvalidOperationException($"cannot write {d} to JSON");
        string s = d.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
        int e = s.IndexOf('e', StringComparison.Ordinal);
        if (e >= 0)
        {
            // Python pads the exponent to two digits: 1e-05, 1e+20.
            string mantissa = s[..e], exp = s[(e + 1)..];
            char sign = exp[0] is '-' or '+' ? exp[0] : '+';
            string digits = exp.TrimStart('-', '+');
            return $"{mantissa}e{sign}{digits.PadLeft(2, '0')}";
        }
        return s.Contains('.', StringComparison.Ordinal) ? s : s + ".0";
    }

    internal static string QkNormName(QkNormKind kind) => kind switch
    {
        QkNormKind.PerHead => "per_head",
        QkNormKind.FullProjection => "full",
        _ => "none",
    };

    /// <summary>Reads one config object field by field, so each error names its field.</summary>
    sealed class FieldReader(string? path)
    {
        readonly HashSet<string> _seen = new(StringComparer.Ordinal);
        readonly Dictionary<string, JsonElement> _unknown = new(StringComparer.Ordinal);

        public ModelConfig Read(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object)
                throw Bad("(file)", "a JSON object", Describe(root));
            if (!root.TryGetProperty("model_type", out var typeElement))
                throw Bad("model_type", "a string naming the architecture", "no such field");
            string type = String("model_type", typeElement)!;
            var preset = ArchitecturePresets.Find(type)
                ?? throw Bad("model_type", $"one of {string.Join(", ", ArchitecturePresets.All.Select(p => p.ModelType))}", $"'{type}'");
            var c = preset.Defaults;
            SwitchyardOptions? ext = null;
            bool eosList = false;
            foreach (var p in root.EnumerateObject())
            {
                string n = p.Name;
                var v = p.Value;
                if (v.ValueKind == JsonValueKind.Null && n != "switchyard")
                {
                    // Null keeps its meaning ("none") on a write-back; nullable fields become unset.
                    _unknown[n] = v.Clone();
                    c = n switch
                    {
                        "moe_intermediate_size" => c with { MoeIntermediateSize = null },
                        "shared_expert_intermediate_size" => c with { SharedExpertIntermediateSize = null },
                        "num_key_value_heads" => c with { NumKeyValueHeads = null },
                        "head_dim" => c with { HeadDim = null },
                        "clip_qkv" => c with { ClipQkv = null },
                        "attention_multiplier" => c with { AttentionMultiplier = null },
                        "bos_token_id" => c with { BosTokenId = null },
                        "eos_token_id" => c with { EosTokenId = [] },
                        "torch_dtype" => c with { TorchDtype = null },
                        "mlp_only_layers" => c with { MlpOnlyLayers = [] },
                        _ => IsModelled(n) ? throw Bad(n, "a value", "null") : c,
                    };
                    continue;
                }
                if (IsModelled(n)) _seen.Add(n);
                c = n switch
                {
                    "model_type" => c,
                    "architectures" => c with { Architectures = Strings(n, v) },
                    "vocab_size" => c with { VocabSize = Int(n, v) },
                    "hidden_size" => c with { HiddenSize = Int(n, v) },
                    "intermediate_size" => c with { IntermediateSize = Int(n, v) },
                    "moe_intermediate_size" => c with { MoeIntermediateSize = Int(n, v) },
                    "shared_expert_intermediate_size" => c with { SharedExpertIntermediateSize = Int(n, v) },
                    "num_hidden_layers" => c with { NumHiddenLayers = Int(n, v) },
                    "num_attention_heads" => c with { NumAttentionHeads = Int(n, v) },
                    "num_key_value_heads" => c with { NumKeyValueHeads = Int(n, v) },
                    "head_dim" => c with { HeadDim = Int(n, v) },
                    "rope_theta" => c with { RopeTheta = Number(n, v) },
                    "rms_norm_eps" => c with { RmsNormEps = Number(n, v) },
                    "max_position_embeddings" => c with { MaxPositionEmbeddings = Int(n, v) },
                    "tie_word_embeddings" => c with { TieWordEmbeddings = Bool(n, v) },
                    "num_local_experts" or "num_experts" => c with { NumExperts = Int(n, v) },
                    "num_experts_per_tok" => c with { NumExpertsPerTok = Int(n, v) },
                    "norm_topk_prob" => c with { NormTopkProb = Bool(n, v) },
                    "decoder_sparse_step" => c with { DecoderSparseStep = Int(n, v) },
                    "mlp_only_layers" => c with { MlpOnlyLayers = Ints(n, v) },
                    "router_aux_loss_coef" => c with { RouterAuxLossCoef = Number(n, v) },
                    "output_router_logits" => c with { OutputRouterLogits = Bool(n, v) },
                    "attention_bias" => c with { AttentionBias = Bool(n, v) },
                    "clip_qkv" => c with { ClipQkv = Number(n, v) },
                    "embedding_multiplier" => c with { EmbeddingMultiplier = Number(n, v) },
                    "logits_scaling" => c with { LogitsScaling = Number(n, v) },
                    "residual_multiplier" => c with { ResidualMultiplier = Number(n, v) },
                    "attention_multiplier" => c with { AttentionMultiplier = Number(n, v) },
                    "initializer_range" => c with { InitializerRange = Number(n, v) },
                    "hidden_act" => c with { HiddenAct = String(n, v)! },
                    "bos_token_id" => c with { BosTokenId = Int(n, v) },
                    "eos_token_id" => c with { EosTokenId = v.ValueKind == JsonValueKind.Array ? Ints(n, v) : [Int(n, v)] },
                    "torch_dtype" => c with { TorchDtype = String(n, v) },
                    "switchyard" => c,
                    _ => Keep(c, n, v),
                };
                if (n == "eos_token_id") eosList = v.ValueKind == JsonValueKind.Array;
                if (n == "switchyard") ext = v.ValueKind == JsonValueKind.Null ? null : Switchyard(v);
            }
            return c with
            {
                ModelType = type,
                QkNorm = ext?.QkNorm ?? preset.Defaults.QkNorm,
                Switchyard = ext,
                UnknownFields = _unknown,
                SourceFields = _seen,
                EosIsList = eosList,
            };
        }

        ModelConfig Keep(ModelConfig c, string name, JsonElement v)
        {
            _unknown[name] = v.Clone();
            return c;
        }

        static bool IsModelled(string name) => name is "architectures" or "vocab_size" or "hidden_size" or "intermediate_size"
            or "moe_intermediate_size" or "shared_expert_intermediate_size" or "num_hidden_layers" or "num_attention_heads"
            or "num_key_value_heads" or "head_dim" or "rope_theta" or "rms_norm_eps" or "max_position_embeddings"
            or "tie_word_embeddings" or "num_local_experts" or "num_experts" or "num_experts_per_tok" or "norm_topk_prob"
            or "decoder_sparse_step" or "mlp_only_layers" or "router_aux_loss_coef" or "output_router_logits"
            or "attention_bias" or "clip_qkv" or "embedding_multiplier" or "logits_scaling" or "residual_multiplier"
            or "attention_multiplier" or "initializer_range" or "hidden_act" or "bos_token_id" or "eos_token_id" or "torch_dtype";

        SwitchyardOptions Switchyard(JsonElement v)
        {
            const string F = "switchyard";
            if (v.ValueKind != JsonValueKind.Object) throw Bad(F, "an object", Describe(v));
            var o = new SwitchyardOptions();
            var unknown = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var p in v.EnumerateObject())
            {
                string n = $"{F}.{p.Name}";
                o = p.Name switch
                {
                    "router" => o with { Router = p.Value.ValueKind == JsonValueKind.Null ? null : String(n, p.Value) },
                    "router_options" => o with { RouterOptions = Options(n, p.Value) },
                    "qk_norm" => o with { QkNorm = QkNorm(n, p.Value) },
                    "layers" => o with { Layers = Layers(n, p.Value) },
                    "block" => o with { Block = p.Value.ValueKind == JsonValueKind.Null ? null : String(n, p.Value) },
                    "block_options" => o with { BlockOptions = Options(n, p.Value) },
                    _ => o,
                };
                if (p.Name is not ("router" or "router_options" or "qk_norm" or "layers" or "block" or "block_options")) unknown[p.Name] = p.Value.Clone();
            }
            return o with { UnknownFields = unknown };
        }

        JsonElement? Options(string field, JsonElement v) => v.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.Object => v.Clone(),
            _ => throw Bad(field, "an object", Describe(v)),
        };

        QkNormKind QkNorm(string field, JsonElement v) => String(field, v) switch
        {
            "none" => QkNormKind.None,
            "per_head" => QkNormKind.PerHead,
            "full" => QkNormKind.FullProjection,
            var s => throw Bad(field, "\"none\", \"per_head\" or \"full\"", $"\"{s}\""),
        };

        List<LayerOverride> Layers(string field, JsonElement v)
        {
            if (v.ValueKind != JsonValueKind.Array) throw Bad(field, "an array of layer objects", Describe(v));
            var list = new List<LayerOverride>();
            int i = 0;
            foreach (var item in v.EnumerateArray())
            {
                string f = $"{field}[{i++}]";
                if (item.ValueKind != JsonValueKind.Object) throw Bad(f, "an object", Describe(item));
                if (!item.TryGetProperty("index", out var idx)) throw Bad($"{f}.index", "the layer index", "no such field");
                var o = new LayerOverride(Int($"{f}.index", idx));
                foreach (var p in item.EnumerateObject())
                {
                    string n = $"{f}.{p.Name}";
                    o = p.Name switch
                    {
                        "index" => o,
                        "kind" => o with
                        {
                            Kind = String(n, p.Value) switch
                            {
                                "dense" => FeedForwardKind.Dense,
                                "moe" => FeedForwardKind.Moe,
                                var s => throw Bad(n, "\"dense\" or \"moe\"", $"\"{s}\""),
                            },
                        },
                        "router" => o with { Router = String(n, p.Value) },
                        "router_options" => o with { RouterOptions = Options(n, p.Value) },
                        _ => throw Bad(n, "one of index, kind, router, router_options", $"'{p.Name}'"),
                    };
                }
                list.Add(o);
            }
            return list;
        }

        int Int(string field, JsonElement v)
        {
            if (v.ValueKind != JsonValueKind.Number) throw Bad(field, "an integer", Describe(v));
            if (v.TryGetInt32(out int i)) return i;
            // transformers sometimes writes integral floats ("num_experts": 8.0).
            if (v.TryGetDouble(out double d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue) return (int)d;
            throw Bad(field, "an integer", v.GetRawText());
        }

        double Number(string field, JsonElement v) =>
            v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw Bad(field, "a number", Describe(v));

        bool Bool(string field, JsonElement v) => v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Bad(field, "true or false", Describe(v)),
        };

        string? String(string field, JsonElement v) =>
            v.ValueKind == JsonValueKind.String ? v.GetString() : throw Bad(field, "a string", Describe(v));

        int[] Ints(string field, JsonElement v)
        {
            if (v.ValueKind != JsonValueKind.Array) throw Bad(field, "an array of integers", Describe(v));
            var list = new int[v.GetArrayLength()];
            int i = 0;
            foreach (var x in v.EnumerateArray()) list[i] = Int($"{field}[{i++}]", x);
            return list;
        }

        string[] Strings(string field, JsonElement v)
        {
            if (v.ValueKind != JsonValueKind.Array) throw Bad(field, "an array of strings", Describe(v));
            var list = new string[v.GetArrayLength()];
            int i = 0;
            foreach (var x in v.EnumerateArray()) list[i] = String($"{field}[{i++}]", x)!;
            return list;
        }

        static string Describe(JsonElement v) => v.ValueKind switch
        {
            JsonValueKind.String => $"\"{v.GetString()}\"",
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
            JsonValueKind.Null => "null",
            JsonValueKind.Array => "an array",
            JsonValueKind.Object => "an object",
            _ => v.ValueKind.ToString(),
        };

        InvalidConfigException Bad(string field, string expected, string found) => new(path, field, expected, found);
    }

}
