using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchyard.Data;
using Switchyard.Models;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;

namespace Switchyard.Training;

/// <summary>
/// Reads and writes recipes. A recipe file holds any subset of the fields of
/// <see cref="Recipe.Default"/>; what it omits keeps the default. Every error names the file, the
/// line of the offending field and what was expected, as one line.
/// </summary>
public static class RecipeJson
{
    const string DefaultSource = "default recipe";

    static readonly JsonDocumentOptions s_options = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>Reads the recipe file at <paramref name="path"/> over <see cref="Recipe.Default"/>.</summary>
    /// <exception cref="InvalidRecipeException">The file cannot be read, is not JSON, or a field is unknown, mistyped or out of range.</exception>
    public static Recipe Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] utf8;
        try { utf8 = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidRecipeException(path, 0, $"cannot read the recipe: {e.Message}");
        }
        return Parse(utf8, Path.GetFileName(path), Recipe.Default);
    }

    /// <summary>Parses recipe JSON over <see cref="Recipe.Default"/>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidRecipeException">Not JSON, or a field is unknown, mistyped or out of range.</exception>
    public static Recipe Parse(string json, string source = "recipe")
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(Encoding.UTF8.GetBytes(json), source, source == DefaultSource ? null : Recipe.Default);
    }

    internal static Recipe Parse(byte[] utf8, string source, Recipe? over)
    {
        Dictionary<string, int> lines;
        JsonDocument doc;
        try
        {
            lines = FieldLines(utf8);
            doc = JsonDocument.Parse(utf8, s_options);
        }
        catch (JsonException e)
        {
            throw new InvalidRecipeException(source, (int)(e.LineNumber ?? -1) + 1, $"invalid JSON: {FirstSentence(e.Message)}");
        }
        using (doc)
            return new Reader(source, lines).Read(doc.RootElement, over);
    }

    /// <summary>The recipe as JSON (every field, model as a full <c>config.json</c> object): what the run directory's <c>recipe.json</c> holds.</summary>
    public static string ToJson(Recipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("name", recipe.Name);
            w.WritePropertyName("model");
            using (var model = JsonDocument.Parse(recipe.Model.ToJson())) model.RootElement.WriteTo(w);
            w.WriteStartObject("router");
            if (recipe.Router is null) w.WriteNull("name"); else w.WriteString("name", recipe.Router);
            if (recipe.RouterOptions is { } o) { w.WritePropertyName("options"); o.WriteTo(w); }
            if (recipe.RouterLayers.Count > 0)
            {
                w.WriteStartArray("layers");
                foreach (var l in recipe.RouterLayers)
                {
                    w.WriteStartObject();
                    w.WriteNumber("index", l.Index);
                    if (l.Kind is { } k) w.WriteString("kind", k == FeedForwardKind.Moe ? "moe" : "dense");
                    if (l.Router is not null) w.WriteString("name", l.Router);
                    if (l.RouterOptions is { } lo) { w.WritePropertyName("options"); lo.WriteTo(w); }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();
            w.WriteStartObject("data");
            w.WriteString("mixture", recipe.Mixture);
            w.WriteString("tokenizer", recipe.Tokenizer);
            w.WriteNumber("bpe_vocab_size", recipe.BpeVocabSize);
            w.WriteNumber("seq_len", recipe.SeqLen);
            w.WriteNumber("batch_size", recipe.BatchSize);
            w.WriteNumber("validation_fraction", recipe.ValidationFraction);
            w.WriteEndObject();
            w.WriteNumber("steps", recipe.Steps);
            w.WriteStartObject("optimizer");
            w.WriteNumber("lr", recipe.LearningRate);
            w.WriteNumber("beta1", recipe.Beta1);
            w.WriteNumber("beta2", recipe.Beta2);
            w.WriteNumber("eps", recipe.Eps);
            w.WriteNumber("weight_decay", recipe.WeightDecay);
            w.WriteEndObject();
            w.WriteStartObject("schedule");
            w.WriteNumber("warmup_steps", recipe.WarmupSteps);
            w.WriteNumber("min_lr", recipe.MinLearningRate);
            w.WriteEndObject();
            w.WriteNumber("clip_norm", recipe.ClipNorm);
            if (recipe.ConsistencyAlpha > 0)
            {
                w.WriteStartObject("consistency");
                w.WriteNumber("alpha", recipe.ConsistencyAlpha);
                w.WriteEndObject();
            }
            w.WriteStartObject("eval");
            w.WriteNumber("interval", recipe.EvalInterval);
            w.WriteNumber("batches", recipe.EvalBatches);
            w.WriteEndObject();
            w.WriteNumber("checkpoint_interval", recipe.CheckpointInterval);
            w.WriteNumber("seed", recipe.Seed);
            w.WriteNumber("threads", recipe.Threads);
            if (recipe.Out is null) w.WriteNull("out"); else w.WriteString("out", recipe.Out);
            if (recipe.Init is { } init)
            {
                w.WriteStartObject("init");
                w.WriteString("from", init.From);
                if (init.Conversion is not null) w.WriteString("conversion", init.Conversion);
                if (init.Options is { } io) { w.WritePropertyName("options"); io.WriteTo(w); }
                w.WriteEndObject();
            }
            if (recipe.Trainable != TrainableScope.All) w.WriteString("trainable", TrainableName(recipe.Trainable));
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    static string TrainableName(TrainableScope scope) => scope switch
    {
        TrainableScope.Routers => "routers",
        TrainableScope.Moe => "moe",
        _ => "all",
    };

    /// <summary>The vocabulary size of tokenizer <paramref name="tokenizer"/> as the recipe sets it up.</summary>
    internal static int TokenizerVocab(string tokenizer, int bpeVocab) => tokenizer == "bpe" ? bpeVocab : ByteTokenizer.Instance.VocabSize;

    static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }

    // Line (1-based) of every property name, keyed by its dotted path ("data.seq_len", "router.layers[0].name").
    static Dictionary<string, int> FieldLines(byte[] utf8)
    {
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        var path = new List<string>();
        var arrayIndex = new List<int>(); // -1 for objects
        int line = 1;
        long counted = 0;
        string? pending = null;
        while (reader.Read())
        {
            long at = reader.TokenStartIndex;
            for (; counted < at; counted++) if (utf8[counted] == (byte)'\n') line++;
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    pending = reader.GetString();
                    lines[Join(path, pending!)] = line;
                    break;
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    if (path.Count == 0 && pending is null && arrayIndex.Count == 0) { arrayIndex.Add(-1); path.Add(""); break; }
                    string seg = pending ?? ElementSegment(arrayIndex);
                    path.Add(seg);
                    arrayIndex.Add(reader.TokenType == JsonTokenType.StartArray ? 0 : -1);
                    pending = null;
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    path.RemoveAt(path.Count - 1);
                    arrayIndex.RemoveAt(arrayIndex.Count - 1);
                    if (arrayIndex.Count > 0 && arrayIndex[^1] >= 0) arrayIndex[^1]++;
                    break;
                default:
                    if (pending is null && arrayIndex.Count > 0 && arrayIndex[^1] >= 0) arrayIndex[^1]++;
                    pending = null;
                    break;
            }
        }
        return lines;

        static string ElementSegment(List<int> idx) => idx.Count > 0 && idx[^1] >= 0 ? $"[{idx[^1]}]" : "";
        static string Join(List<string> path, string name)
        {
            var sb = new StringBuilder();
            foreach (string p in path)
            {
                if (p.Length == 0) continue;
                if (p[0] == '[') sb.Append(p);
                else { if (sb.Length > 0) sb.Append('.'); sb.Append(p); }
            }
            if (sb.Length > 0) sb.Append('.');
            return sb.Append(name).ToString();
        }
    }

    sealed class Reader(string source, Dictionary<string, int> lines)
    {
        InvalidRecipeException Fail(string path, string problem) => new(source, lines.GetValueOrDefault(path), problem);

        static string Found(JsonElement e) => e.ValueKind == JsonValueKind.String ? $"\"{e.GetString()}\"" : e.GetRawText();

        void Known(JsonElement obj, string prefix, params string[] keys)
        {
            foreach (var p in obj.EnumerateObject())
                if (Array.IndexOf(keys, p.Name) < 0)
                    throw Fail(prefix + p.Name, $"unknown field '{prefix}{p.Name}' (known: {string.Join(", ", keys)})");
        }

        JsonElement Object(JsonElement e, string path)
        {
            if (e.ValueKind != JsonValueKind.Object) throw Fail(path, $"'{path}' must be an object, found {Found(e)}");
            return e;
        }

        int Int(JsonElement e, string path, int min)
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int v) || v < min)
                throw Fail(path, $"'{path}' must be {(min == 1 ? "a positive integer" : min == 0 ? "a non-negative integer" : $"an integer ≥ {min}")}, found {Found(e)}");
            return v;
        }

        double Number(JsonElement e, string path, double min, double max, bool minExclusive = false, bool maxExclusive = false)
        {
            string range = $"a number in {(minExclusive ? "(" : "[")}{F(min)}, {F(max)}{(maxExclusive ? ")" : "]")}";
            if (e.ValueKind != JsonValueKind.Number) throw Fail(path, $"'{path}' must be {range}, found {Found(e)}");
            double v = e.GetDouble();
            if (!double.IsFinite(v) || (minExclusive ? v <= min : v < min) || (maxExclusive ? v >= max : v > max))
                throw Fail(path, $"'{path}' must be {range}, found {Found(e)}");
            return v;
            static string F(double d) => double.IsPositiveInfinity(d) ? "∞" : d.ToString(CultureInfo.InvariantCulture);
        }

        string Choice(JsonElement e, string path, params string[] choices)
        {
            if (e.ValueKind != JsonValueKind.String || Array.IndexOf(choices, e.GetString()) < 0)
                throw Fail(path, $"'{path}' must be one of {string.Join(", ", choices.Select(c => $"\"{c}\""))}, found {Found(e)}");
            return e.GetString()!;
        }

        string Text(JsonElement e, string path)
        {
            if (e.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(e.GetString()))
                throw Fail(path, $"'{path}' must be a non-empty string, found {Found(e)}");
            return e.GetString()!;
        }

        public Recipe Read(JsonElement root, Recipe? over)
        {
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidRecipeException(source, 1, $"a recipe must be a JSON object, found {root.ValueKind.ToString().ToLowerInvariant()}");
            Known(root, "", "name", "model", "router", "data", "steps", "optimizer", "schedule", "clip_norm", "consistency", "eval", "checkpoint_interval", "seed", "threads", "out", "init", "trainable");
            string name = over?.Name ?? "run";
            string? routerName = over?.Router; JsonElement? routerOptions = over?.RouterOptions; IReadOnlyList<LayerOverride> routerLayers = over?.RouterLayers ?? [];
            string mixture = over?.Mixture ?? "bundled", tokenizer = over?.Tokenizer ?? "byte";
            int bpe = over?.BpeVocabSize ?? 1024, seqLen = over?.SeqLen ?? 128, batch = over?.BatchSize ?? 16, steps = over?.Steps ?? 100;
            double valFrac = over?.ValidationFraction ?? 0.1;
            double lr = over?.LearningRate ?? 1e-3, b1 = over?.Beta1 ?? 0.9, b2 = over?.Beta2 ?? 0.95, eps = over?.Eps ?? 1e-8, wd = over?.WeightDecay ?? 0.1;
            int warmup = over?.WarmupSteps ?? 0; double minLr = over?.MinLearningRate ?? 0, clip = over?.ClipNorm ?? 1;
            int evalInterval = over?.EvalInterval ?? 100, evalBatches = over?.EvalBatches ?? 8, ckpt = over?.CheckpointInterval ?? 0, threads = over?.Threads ?? 0;
            ulong seed = over?.Seed ?? 1; string? outDir = over?.Out;
            double consistency = over?.ConsistencyAlpha ?? 0;
            RecipeInit? init = over?.Init; TrainableScope trainable = over?.Trainable ?? TrainableScope.All;

            foreach (var p in root.EnumerateObject())
            {
                JsonElement v = p.Value;
                switch (p.Name)
                {
                    case "name":
                        name = Text(v, "name");
                        if (name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name is "." or "..")
                            throw Fail("name", $"'name' must be usable as a directory name, found {Found(v)}");
                        break;
                    case "steps": steps = Int(v, "steps", 1); break;
                    case "clip_norm": clip = Number(v, "clip_norm", 0, double.PositiveInfinity); break;
                    case "consistency":
                        Known(Object(v, "consistency"), "consistency.", "alpha");
                        if (v.TryGetProperty("alpha", out var alpha)) consistency = Number(alpha, "consistency.alpha", 0, double.PositiveInfinity);
                        break;
                    case "checkpoint_interval": ckpt = Int(v, "checkpoint_interval", 0); break;
                    case "seed":
                        if (v.ValueKind != JsonValueKind.Number || !v.TryGetUInt64(out seed)) throw Fail("seed", $"'seed' must be a non-negative integer, found {Found(v)}");
                        break;
                    case "threads": threads = Int(v, "threads", 0); break;
                    case "out": outDir = v.ValueKind == JsonValueKind.Null ? null : Text(v, "out"); break;
                    case "trainable":
                        trainable = Choice(v, "trainable", "all", "routers", "moe") switch { "routers" => TrainableScope.Routers, "moe" => TrainableScope.Moe, _ => TrainableScope.All };
                        break;
                    case "init":
                        if (v.ValueKind == JsonValueKind.Null) { init = null; break; }
                        Known(Object(v, "init"), "init.", "from", "conversion", "options");
                        if (!v.TryGetProperty("from", out var from)) throw Fail("init", "'init.from' is required (a run directory, or arm:LABEL inside a reproduction)");
                        string? conversion = null;
                        if (v.TryGetProperty("conversion", out var conv))
                        {
                            conversion = Text(conv, "init.conversion");
                            if (!ModelConversions.Names.Contains(conversion))
                                throw Fail("init.conversion", $"'init.conversion' must be one of {string.Join(", ", ModelConversions.Names.Select(n => $"\"{n}\""))}, found {Found(conv)}");
                        }
                        JsonElement? initOptions = v.TryGetProperty("options", out var io) && io.ValueKind != JsonValueKind.Null ? Object(io, "init.options").Clone() : null;
                        init = new RecipeInit(Text(from, "init.from"), conversion, initOptions);
                        break;
                    case "data":
                        Known(Object(v, "data"), "data.", "mixture", "tokenizer", "bpe_vocab_size", "seq_len", "batch_size", "validation_fraction");
                        foreach (var q in v.EnumerateObject())
                        {
                            string path = "data." + q.Name;
                            switch (q.Name)
                            {
                                case "mixture": mixture = Choice(q.Value, path, [.. MixtureCatalog.Names]); break;
                                case "tokenizer": tokenizer = Choice(q.Value, path, "byte", "bpe"); break;
                                case "bpe_vocab_size": bpe = Int(q.Value, path, 260); break;
                                case "seq_len": seqLen = Int(q.Value, path, 2); break;
                                case "batch_size": batch = Int(q.Value, path, 1); break;
                                case "validation_fraction": valFrac = Number(q.Value, path, 0, 1, minExclusive: true, maxExclusive: true); break;
                            }
                        }
                        break;
                    case "optimizer":
                        Known(Object(v, "optimizer"), "optimizer.", "lr", "beta1", "beta2", "eps", "weight_decay");
                        foreach (var q in v.EnumerateObject())
                        {
                            string path = "optimizer." + q.Name;
                            switch (q.Name)
                            {
                                case "lr": lr = Number(q.Value, path, 0, double.PositiveInfinity, minExclusive: true); break;
                                case "beta1": b1 = Number(q.Value, path, 0, 1, maxExclusive: true); break;
                                case "beta2": b2 = Number(q.Value, path, 0, 1, maxExclusive: true); break;
                                case "eps": eps = Number(q.Value, path, 0, 1); break;
                                case "weight_decay": wd = Number(q.Value, path, 0, double.PositiveInfinity); break;
                            }
                        }
                        break;
                    case "schedule":
                        Known(Object(v, "schedule"), "schedule.", "warmup_steps", "min_lr");
                        foreach (var q in v.EnumerateObject())
                        {
                            if (q.Name == "warmup_steps") warmup = Int(q.Value, "schedule.warmup_steps", 0);
                            else minLr = Number(q.Value, "schedule.min_lr", 0, double.PositiveInfinity);
                        }
                        break;
                    case "eval":
                        Known(Object(v, "eval"), "eval.", "interval", "batches");
                        foreach (var q in v.EnumerateObject())
                        {
                            if (q.Name == "interval") evalInterval = Int(q.Value, "eval.interval", 0);
                            else evalBatches = Int(q.Value, "eval.batches", 1);
                        }
                        break;
                }
            }

            if (warmup > steps) throw Fail(lines.ContainsKey("schedule.warmup_steps") ? "schedule.warmup_steps" : "steps", $"'schedule.warmup_steps' ({warmup}) must not exceed 'steps' ({steps})");
            if (minLr > lr) throw Fail(lines.ContainsKey("schedule.min_lr") ? "schedule.min_lr" : "optimizer.lr", $"'schedule.min_lr' ({minLr.ToString(CultureInfo.InvariantCulture)}) must not exceed 'optimizer.lr' ({lr.ToString(CultureInfo.InvariantCulture)})");

            int vocab = TokenizerVocab(tokenizer, bpe);
            ModelConfig model = root.TryGetProperty("model", out var m) ? ReadModel(m, over?.Model, vocab, tokenizerSet: root.TryGetProperty("data", out var d) && d.TryGetProperty("tokenizer", out _))
                : over?.Model is { } om ? WithVocab(om, vocab) : throw Fail("", "'model' is required");
            if (model.VocabSize < vocab) throw Fail("model.vocab_size", $"'model.vocab_size' ({model.VocabSize}) must be at least the tokenizer's {vocab} ids");
            if (model.MaxPositionEmbeddings < seqLen)
                throw Fail("data.seq_len", $"'data.seq_len' ({seqLen}) must not exceed 'model.max_position_embeddings' ({model.MaxPositionEmbeddings})");

            if (root.TryGetProperty("router", out var r)) (routerName, routerOptions, routerLayers) = ReadRouter(r, model);

            return new Recipe
            {
                Name = name, Model = model, Router = routerName, RouterOptions = routerOptions, RouterLayers = routerLayers,
                Mixture = mixture, Tokenizer = tokenizer, BpeVocabSize = bpe, ValidationFraction = valFrac, SeqLen = seqLen, BatchSize = batch,
                Steps = steps, LearningRate = lr, Beta1 = b1, Beta2 = b2, Eps = eps, WeightDecay = wd, WarmupSteps = warmup, MinLearningRate = minLr,
                ClipNorm = clip, EvalInterval = evalInterval, EvalBatches = evalBatches, CheckpointInterval = ckpt, Seed = seed, Threads = threads, Out = outDir,
                ConsistencyAlpha = consistency, Init = init, Trainable = trainable,
            };
        }

        static ModelConfig WithVocab(ModelConfig m, int vocab) => m.VocabSize == vocab ? m : m with { VocabSize = vocab };

        ModelConfig ReadModel(JsonElement m, ModelConfig? over, int vocab, bool tokenizerSet)
        {
            Object(m, "model");
            JsonObject merged;
            bool whole = m.TryGetProperty("model_type", out _) || over is null;
            if (whole) merged = JsonNode.Parse(m.GetRawText())!.AsObject();
            else
            {
                // Fields override the base recipe's model one by one (e.g. {"num_hidden_layers": 4}).
                merged = JsonNode.Parse(over!.ToJson())!.AsObject();
                foreach (var p in m.EnumerateObject()) merged[p.Name] = JsonNode.Parse(p.Value.GetRawText());
            }
            if (!m.TryGetProperty("vocab_size", out _) && (whole || tokenizerSet || over is null || over.VocabSize != vocab))
                merged["vocab_size"] = vocab;
            try
            {
                var config = ModelConfig.Parse(merged.ToJsonString(), source);
                config.EnsureBuildable(source);
                return config;
            }
            catch (InvalidConfigException e)
            {
                string field = e.Field.Split('.', '[')[0];
                string path = lines.ContainsKey("model." + field) ? "model." + field : "model";
                throw Fail(path, $"'model.{e.Field}' must be {e.Expected}, found {e.Found}");
            }
        }

        (string?, JsonElement?, IReadOnlyList<LayerOverride>) ReadRouter(JsonElement r, ModelConfig model)
        {
            if (r.ValueKind == JsonValueKind.String) return (RouterName(r, "router"), null, []);
            Known(Object(r, "router"), "router.", "name", "options", "layers");
            string? name = r.TryGetProperty("name", out var n) && n.ValueKind != JsonValueKind.Null ? RouterName(n, "router.name") : null;
            JsonElement? options = null;
            if (r.TryGetProperty("options", out var o) && o.ValueKind != JsonValueKind.Null)
            {
                if (name is null) throw Fail("router.options", "'router.options' needs 'router.name'");
                CheckOptions(name, o, "router.options");
                options = o.Clone();
            }
            var layers = new List<LayerOverride>();
            if (r.TryGetProperty("layers", out var ls))
            {
                if (ls.ValueKind != JsonValueKind.Array) throw Fail("router.layers", $"'router.layers' must be an array, found {Found(ls)}");
                int i = 0;
                foreach (var l in ls.EnumerateArray())
                {
                    string at = $"router.layers[{i++}]";
                    Known(Object(l, at), at + ".", "index", "name", "options", "kind");
                    if (!l.TryGetProperty("index", out var idx)) throw Fail(at, $"'{at}.index' is required");
                    int index = Int(idx, at + ".index", 0);
                    if (index >= model.NumHiddenLayers) throw Fail(at + ".index", $"'{at}.index' must be below num_hidden_layers = {model.NumHiddenLayers}, found {index}");
                    if (layers.Any(x => x.Index == index)) throw Fail(at + ".index", $"'{at}.index': layer {index} appears twice");
                    string? ln = l.TryGetProperty("name", out var lnEl) ? RouterName(lnEl, at + ".name") : null;
                    FeedForwardKind? kind = l.TryGetProperty("kind", out var k) ? (Choice(k, at + ".kind", "dense", "moe") == "moe" ? FeedForwardKind.Moe : FeedForwardKind.Dense) : null;
                    JsonElement? lo = null;
                    if (l.TryGetProperty("options", out var loEl))
                    {
                        string router = ln ?? name ?? "top-k";
                        CheckOptions(router, loEl, at + ".options");
                        lo = loEl.Clone();
                    }
                    layers.Add(new LayerOverride(index, kind, ln, lo));
                }
            }
            return (name, options, layers);
        }

        string RouterName(JsonElement e, string path)
        {
            string name = Text(e, path);
            try { RouterCatalog.Get(name); }
            catch (UnknownRouterException) { throw Fail(path, $"'{path}' must be a catalog router ({string.Join(", ", RouterCatalog.Names)}), found \"{name}\""); }
            return name;
        }

        void CheckOptions(string router, JsonElement options, string path)
        {
            try { RouterCatalog.Get(router).ParseOptions(options); }
            catch (InvalidRouterOptionException e) { throw Fail(path, $"'{path}': {e.Message}"); }
        }
    }
}
