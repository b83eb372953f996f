using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Switchyard.Data;
using Switchyard.Data.Tokenizers;
using Switchyard.Formats.Gguf;
using Switchyard.Inference;
using Switchyard.Models;
using Switchyard.Tensors;
using Switchyard.Training;
using Switchyard.Training.Adaptation;

namespace Switchyard.Cli.Commands;

/// <summary><c>switchyard generate</c>: loads a model folder, encodes a prompt and streams the generated text to stdout.</summary>
internal static class GenerateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var model = new Option<string>("--model") { Description = "Model folder (a Hugging Face checkpoint or a Switchyard run) or a llama.cpp .gguf file.", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "Prompt text.", Required = true };
        var maxTokens = TrainCommand.Int("--max-tokens", "Most new tokens to generate (default 128).");
        var temperature = Float("--temperature", "Sampling temperature; 0 = greedy (default 0.8).");
        var topK = TrainCommand.Int("--top-k", "Sample among the K most likely tokens; 0 = all (default 40).");
        var topP = Float("--top-p", "Sample among the most likely tokens of total probability P (default 0.95).");
        var seed = new Option<long?>("--seed") { Description = "Seed of the sampler (default 0)." };
        var stop = new Option<string[]>("--stop") { Description = "Stop when the text contains this string (repeatable).", AllowMultipleArgumentsPerToken = true };
        var router = new Option<string?>("--router") { Description = "Route every MoE layer with this catalog router (see `switchyard routers`), e.g. top-k." };
        var routerOption = new Option<string[]>("--router-option") { Description = "Router option key=value (repeatable), e.g. k=4.", AllowMultipleArgumentsPerToken = true };
        var threads = TrainCommand.Int("--threads", "Kernel threads (default: all cores).");
        var expertMemory = new Option<string?>("--expert-memory") { Description = "Memory budget for routed experts (e.g. 8GiB); experts beyond it are streamed from disk." };
        var reroute = new Option<bool>("--reroute") { Description = "Test-time rerouting (arXiv 2510.14853): tune router-logit offsets on the text so far every 64 tokens; greedy; a run or Hugging Face folder." };
        var rerouteCache = new Option<string?>("--reroute-cache") { Description = "With --reroute: recompute (default) or stale, what cached tokens' routing does when the offsets change." };
        var command = new Command("generate", "Generate text from a prompt with a Hugging Face or Switchyard model, streaming tokens as they come.")
        {
            model, prompt, maxTokens, temperature, topK, topP, seed, stop, router, routerOption, threads, expertMemory, reroute, rerouteCache,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(model)!;
            int max = NonNegative(parse.GetValue(maxTokens), "--max-tokens") ?? 128;
            var sampling = new SamplingOptions
            {
                Temperature = Range(parse.GetValue(temperature), "--temperature", 0, float.MaxValue, "a number ≥ 0") ?? 0.8f,
                TopK = NonNegative(parse.GetValue(topK), "--top-k") ?? 40,
                TopP = Range(parse.GetValue(topP), "--top-p", float.Epsilon, 1, "a number in (0, 1]") ?? 0.95f,
                Seed = parse.GetValue(seed) is { } s ? (s >= 0 ? (ulong)s : throw new InvalidRecipeException("--seed", 0, $"must be a non-negative integer, found {s}")) : 0,
            };
            SetThreads(parse.GetValue(threads));
            long? budget = parse.GetValue(expertMemory) is { } text ? ByteSize.Parse(text).Bytes : null;
            ITokenizer tokenizer = LoadTokenizer(path);
            using var m = InferenceModel.Load(path);
            using StreamingExpertSource? streaming = budget is { } b ? Stream(m, b) : null;
            if (parse.GetValue(router) is { } name) m.SetRouter(name, parse.GetValue(routerOption) ?? []);
            else if (parse.GetValue(routerOption) is { Length: > 0 }) throw new InvalidRecipeException("--router-option", 0, "needs --router");

            string promptText = parse.GetValue(prompt)!;
            var ids = new List<int>();
            if (tokenizer is PretrainedTokenizer pretrained)
            {
                // The checkpoint's own special-token template (BOS for Llama-style tokenizers); an appended EOS would end the prompt.
                ids.AddRange(pretrained.Encode(promptText, addSpecialTokens: true));
                if (pretrained.AddEos && ids.Count > 0 && ids[^1] == pretrained.EosId) ids.RemoveAt(ids.Count - 1);
            }
            else tokenizer.Encode(promptText.AsSpan(), ids);
            if (ids.Count == 0) throw new InvalidRecipeException("--prompt", 0, "encodes to no tokens");
            foreach (int id in ids)
                if (id >= m.VocabSize) throw new InvalidRecipeException("--prompt", 0, $"token id {id} is outside the model's vocabulary of {m.VocabSize}: the tokenizer does not belong to this model");
            var stopIds = new HashSet<int>(m.Config.EosTokenId);
            if (tokenizer.EosId >= 0 && tokenizer.EosId < m.VocabSize) stopIds.Add(tokenizer.EosId);
            var streamer = new TextStreamer(tokenizer, parse.GetValue(stop) ?? [], output);
            if (parse.GetValue(reroute)) return Rerouted(path, ids.ToArray(), max, stopIds, parse.GetValue(rerouteCache), streamer, output, error);
            if (parse.GetValue(rerouteCache) is not null) throw new InvalidRecipeException("--reroute-cache", 0, "needs --reroute");
            var result = new Generator(m).Generate(ids.ToArray(), max, sampling, [.. stopIds], streamer.Add);
            streamer.Flush();
            output.WriteLine();
            error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{result.PromptTokens} prompt tokens at {result.PromptTokensPerSecond:F1} tok/s, {result.Tokens.Length} generated at {result.DecodeTokensPerSecond:F1} tok/s; stop: {Reason(result.Reason, streamer.StoppedByString)}]"));
            if (streaming?.Statistics is { } st)
                error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[experts: {streaming.Slots} slots of {ByteSize.Format(streaming.SlotBytes)}, hit rate {100 * st.HitRate:F1}%, {ByteSize.Format(st.BytesRead)} read at {st.ReadGBps:F2} GB/s]"));
            return 0;
        });
        return command;
    }

    // Greedy generation on the training model with test-time rerouting (its tape gives δ's gradient); the inference engine is not used.
    static int Rerouted(string path, int[] prompt, int max, HashSet<int> stopIds, string? cache, TextStreamer streamer, TextWriter output, TextWriter error)
    {
        if (InferenceModel.IsGguf(path)) throw new InvalidRecipeException("--reroute", 0, "needs a Switchyard run or Hugging Face folder (it trains router offsets), not a .gguf file");
        KvCachePolicy policy = cache switch
        {
            null or "recompute" => KvCachePolicy.Recompute,
            "stale" => KvCachePolicy.Stale,
            _ => throw new InvalidRecipeException("--reroute-cache", 0, $"expected recompute or stale, found '{cache}'"),
        };
        DecoderModel model = DecoderModel.FromPretrained(path, MoeFeedForward.Factory);
        var adapter = new TestTimeAdapter(model, new TestTimeAdapterOptions { Cache = policy });
        int[] tokens = adapter.Generate(prompt, max);
        int emitted = 0;
        foreach (int t in tokens)
        {
            if (stopIds.Contains(t) || !streamer.Add(t)) break;
            emitted++;
        }
        streamer.Flush();
        output.WriteLine();
        error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{prompt.Length} prompt tokens, {emitted} generated with test-time rerouting: offsets on layers {string.Join(", ", adapter.SelectedLayers)}, {adapter.Rounds} adaptation rounds, cache {policy.ToString().ToLowerInvariant()}]"));
        return 0;
    }

    // Routed experts come from the checkpoint through a pool of at most `budget` bytes; the rest of the model stays mapped.
    internal static StreamingExpertSource Stream(InferenceModel m, long budget, IExpertCachePolicy? policy = null)
    {
        var layers = new IReadOnlyList<ExpertLocation>?[m.LayerCount];
        bool any = false;
        for (int l = 0; l < layers.Length; l++)
        {
            if (!m.IsMoeLayer(l)) continue;
            layers[l] = m.ExpertLocations(l) ?? throw new InvalidRecipeException("--expert-memory", 0, $"layer {l}'s experts are not stored as whole matrices in a file, so they cannot be streamed");
            any = true;
        }
        if (!any) throw new InvalidRecipeException("--expert-memory", 0, "the model has no MoE layer; there are no experts to stream");
        var source = new StreamingExpertSource(layers, budget, policy);
        m.ExpertSource = source;
        return source;
    }

    static string Reason(StopReason r, bool text) => text ? "stop string" : r switch
    {
        StopReason.MaxTokens => "max tokens",
        StopReason.StopToken => "end of sequence",
        StopReason.ContextFull => "context full",
        _ => "callback",
    };

    /// <summary>
    /// The model's tokenizer. A <c>.gguf</c> file: its <c>tokenizer.ggml.*</c> metadata (a <c>tokenizer.json</c> beside a file
    /// without any). A Switchyard run folder (<c>recipe.json</c>): the tokenizer it trained with, <c>vocab.json</c> +
    /// <c>merges.txt</c> or the byte tokenizer. Any other folder: <c>tokenizer.json</c> (Hugging Face), else <c>vocab.json</c> + <c>merges.txt</c>.
    /// </summary>
    internal static ITokenizer LoadTokenizer(string path)
    {
        InferenceModel.CheckModelPath(path);
        if (InferenceModel.IsGguf(path))
        {
            using var file = GgufFile.Open(path);
            if (GgufTokenizerData.IsPresent(file.Metadata)) return GgufTokenizerData.FromGguf(file).CreateTokenizer();
            string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
            if (File.Exists(Path.Combine(dir, HfTokenizer.FileName))) return HfTokenizer.Load(dir);
            throw new ModelNotFoundException(path, $"no tokenizer: the file has no {GgufTokenizerData.ModelKey} metadata and there is no {HfTokenizer.FileName} beside it; bench decode needs none");
        }
        bool bpe = File.Exists(Path.Combine(path, BpeVocabulary.VocabFileName)) && File.Exists(Path.Combine(path, BpeVocabulary.MergesFileName));
        string recipe = Path.Combine(path, Trainer.RecipeFile);
        if (File.Exists(recipe))
        {
            // A run: the tokenizer it trained with, even though it also writes tokenizer.json for export.
            if (bpe) return BpeTokenizer.Load(path);
            string? kind = null;
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(recipe));
                if (doc.RootElement.TryGetProperty("data", out var data) && data.TryGetProperty("tokenizer", out var t)) kind = t.GetString();
            }
            catch (JsonException e)
            {
                throw new InvalidRecipeException(recipe, 0, $"not valid JSON ({e.Message})");
            }
            if (kind is null or "byte") return ByteTokenizer.Instance;
            throw new ModelNotFoundException(path, $"the run was trained with the {kind} tokenizer but the folder has no {BpeVocabulary.VocabFileName} and {BpeVocabulary.MergesFileName}");
        }
        if (File.Exists(Path.Combine(path, HfTokenizer.FileName))) return HfTokenizer.Load(path);
        if (bpe) return BpeTokenizer.Load(path);
        throw new ModelNotFoundException(path, $"no tokenizer: expected {BpeVocabulary.VocabFileName} + {BpeVocabulary.MergesFileName}, tokenizer.json, or a run's recipe.json");
    }

    internal static void SetThreads(int? threads)
    {
        if (threads is not { } t) return;
        if (t <= 0) throw new InvalidRecipeException("--threads", 0, $"must be a positive integer, found {t}");
        ParallelRunner.Threads = t;
    }

    internal static int? NonNegative(int? value, string flag) =>
        value is null or >= 0 ? value : throw new InvalidRecipeException(flag, 0, $"must be a non-negative integer, found {value}");

    static float? Range(float? value, string flag, float min, float max, string what) =>
        value is not { } v || (v >= min && v <= max && float.IsFinite(v)) ? value
            : throw new InvalidRecipeException(flag, 0, $"must be {what}, found {v.ToString(CultureInfo.InvariantCulture)}");

    static Option<float?> Float(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = r =>
        {
            string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float v)) return v;
            r.AddError($"{name}: must be a number, found '{text}'");
            return null;
        },
    };
}
