using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Switchyard.Inference;
using Switchyard.Tensors;
using Switchyard.Training;

namespace Switchyard.Cli.Commands;

/// <summary><c>switchyard bench decode</c>: prefill and decode throughput of a model (or a synthetic one), one JSON line.</summary>
internal static class BenchCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Option<string?>("--model") { Description = "Model folder (Hugging Face checkpoint or Switchyard run) or .gguf file." };
        var synthetic = new Option<string?>("--synthetic") { Description = "Instead of --model, a model with seeded random weights of a real shape: olmoe (OLMoE-1B-7B, fewer layers)." };
        var layers = TrainCommand.Int("--layers", "Decoder layers of the --synthetic model (default 2).");
        var type = new Option<string?>("--type") { Description = "Weight type of the --synthetic model: f32 (safetensors) or q8_0 (GGUF). Default f32." };
        var promptTokens = TrainCommand.Int("--prompt-tokens", "Prompt length processed in one prefill (default 128).");
        var decodeTokens = TrainCommand.Int("--decode-tokens", "Single-token decode steps timed after the prefill (default 64).");
        var threads = TrainCommand.Int("--threads", "Kernel threads (default: all cores).");
        var expertMemory = new Option<string?>("--expert-memory") { Description = "Budget for routed experts (e.g. 1GiB): experts are streamed from the file through a pool of this size; prints hit rates and an LRU/LFU/Belady replay line." };
        var policy = new Option<string?>("--policy") { Description = "Eviction policy of the --expert-memory pool: lru (default) or lfu." };
        var noProbe = new Option<bool>("--no-bandwidth") { Description = "Skip the memory bandwidth probe (and the ceiling it gives)." };
        var decode = new Command("decode", "Time a prompt prefill and token-by-token decoding (greedy) on random token ids; print one JSON line "
            + "(random ids for --synthetic) with the memory-bandwidth ceiling of decoding (bandwidth / bytes read per token) and the fraction of it reached.")
        {
            model, synthetic, layers, type, promptTokens, decodeTokens, threads, expertMemory, policy, noProbe,
        };
        decode.SetAction(parse =>
        {
            int prompt = Positive(parse.GetValue(promptTokens), "--prompt-tokens") ?? 128;
            int steps = Positive(parse.GetValue(decodeTokens), "--decode-tokens") ?? 64;
            string path = ModelPath(parse.GetValue(model), parse.GetValue(synthetic), Positive(parse.GetValue(layers), "--layers") ?? 2, parse.GetValue(type));
            long? budget = parse.GetValue(expertMemory) is { } text ? ByteSize.Parse(text).Bytes : null;
            IExpertCachePolicy? cachePolicy = parse.GetValue(policy) switch
            {
                null or "lru" => null,
                "lfu" => new LfuPolicy(),
                string p => throw new InvalidRecipeException("--policy", 0, $"expected lru or lfu, found '{p}'"),
            };
            if (budget is null && cachePolicy is not null) throw new InvalidRecipeException("--policy", 0, "needs --expert-memory");
            GenerateCommand.SetThreads(parse.GetValue(threads));
            using var m = InferenceModel.Load(path, new InferenceOptions { MaxContext = prompt + steps + 64 });
            using StreamingExpertSource? streaming = budget is { } b ? GenerateCommand.Stream(m, b, cachePolicy) : null;
            // A random-weight model decoded greedily soon repeats one token (so one routing): feed it random ids instead.
            bool randomIds = parse.GetValue(synthetic) is not null;
            // Decoding reads every active weight once per token, plus the KV cache so far: memory bandwidth / bytes per
            // token bounds tokens/s. This VM's bandwidth drifts (one probe read 27.6 and 48.6 GB/s minutes apart), so the
            // ceiling takes the median of three probes before and three after the timed decode.
            bool probe = !parse.GetValue(noProbe);
            var probes = new List<double>();
            for (int i = 0; probe && i < 3; i++) probes.Add(BandwidthProbe.MeasureMemoryReadGBps(threads: ParallelRunner.Threads));
            var r = Run(m, prompt, steps, randomIds, streaming is null ? null : () => { streaming.ResetStatistics(); streaming.RecordTrace = true; });
            for (int i = 0; probe && i < 3; i++) probes.Add(BandwidthProbe.MeasureMemoryReadGBps(threads: ParallelRunner.Threads));
            probes.Sort();
            double? gbps = probe ? (probes[2] + probes[3]) / 2 : null;
            long active = m.ActiveWeightBytesPerToken;
            long kv = KvBytesPerToken(m, prompt + steps / 2);
            output.WriteLine(Json(w =>
            {
                w.WriteString("model", path);
                w.WriteString("weights", WeightTypes(m));
                w.WriteNumber("layers", m.LayerCount);
                w.WriteNumber("threads", ParallelRunner.Threads);
                w.WriteNumber("prompt_tokens", prompt);
                w.WriteNumber("prompt_tok_s", Math.Round(r.PromptTokensPerSecond, 2));
                w.WriteNumber("decode_tokens", steps);
                w.WriteNumber("decode_tok_s", Math.Round(r.DecodeTokensPerSecond, 2));
                w.WriteNumber("active_weight_bytes_per_token", active);
                w.WriteNumber("kv_bytes_per_token", kv);
                if (gbps is { } g)
                {
                    double ceiling = g * 1e9 / (active + kv);
                    w.WriteNumber("memory_gb_s", Math.Round(g, 2));
                    w.WriteNumber("bandwidth_ceiling_tok_s", Math.Round(ceiling, 2));
                    w.WriteNumber("fraction_of_ceiling", Math.Round(r.DecodeTokensPerSecond / ceiling, 4));
                }
                if (streaming is not null)
                {
                    var st = streaming.Statistics;
                    w.WriteString("policy", streaming.Policy.Name);
                    w.WriteNumber("expert_memory", streaming.BudgetBytes);
                    w.WriteNumber("expert_slots", streaming.Slots);
                    w.WriteNumber("expert_count", streaming.ExpertCount);
                    w.WriteNumber("requests", st.Requests); // prefill + decode, as the replay
                    w.WriteNumber("hit_rate", Math.Round(st.HitRate, 4));
                    w.WriteNumber("bytes_read", st.BytesRead);
                    w.WriteNumber("read_gb_s", Math.Round(st.ReadGBps, 3));
                }
            }));
            if (streaming is not null)
                output.WriteLine(Json(w => WriteReplay(w, streaming)));
            return 0;
        });
        return new Command("bench", "Benchmarks of the inference engine.") { decode };
    }

    // The timed run's expert requests (prefill + decode) replayed from an empty pool of the same slots under each policy:
    // the gap to Belady (optimal, knows the future) is what a better policy could still gain.
    static void WriteReplay(Utf8JsonWriter w, StreamingExpertSource s)
    {
        var trace = s.Trace;
        long expertBytes = s.SlotBytes;
        w.WriteString("replay", "prefill and decode trace");
        w.WriteNumber("requests", trace.Count);
        w.WriteNumber("slots", s.Slots);
        foreach (var result in new[]
        {
            CacheSimulator.Replay(new LruPolicy(), trace, s.Slots, expertBytes),
            CacheSimulator.Replay(new LfuPolicy(), trace, s.Slots, expertBytes),
            BeladyReplay.Replay(trace, s.Slots, expertBytes),
        })
        {
            w.WriteNumber(result.Policy + "_hit_rate", Math.Round(result.HitRate, 4));
        }
    }

    static string Json(Action<Utf8JsonWriter> body)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    static string ModelPath(string? model, string? synthetic, int layers, string? type)
    {
        if (model is not null && synthetic is not null) throw new InvalidRecipeException("--synthetic", 0, "give either --model or --synthetic, not both");
        if (synthetic is null)
        {
            if (type is not null) throw new InvalidRecipeException("--type", 0, "only applies to --synthetic (a model file has its own types)");
            return model ?? throw new InvalidRecipeException("--model", 0, "give --model PATH or --synthetic NAME");
        }
        GgmlType t = type switch
        {
            null or "f32" => GgmlType.F32,
            "q8_0" => GgmlType.Q8_0,
            "f16" => GgmlType.F16,
            "bf16" => GgmlType.BF16,
            _ => throw new InvalidRecipeException("--type", 0, $"expected f32, f16, bf16 or q8_0, found '{type}'"),
        };
        return SyntheticModel.Ensure(SyntheticModel.Config(synthetic, layers), t, seed: 1, SyntheticModel.DefaultRoot());
    }

    // Per decoded token each layer reads the cached keys and values of every earlier position.
    static long KvBytesPerToken(InferenceModel m, int context) =>
        (long)m.LayerCount * 2 * m.Config.KeyValueHeads * m.Config.EffectiveHeadDim * sizeof(float) * context;

    static string WeightTypes(InferenceModel m) => m.LmHead.Type.ToString();

    /// <summary>
    /// Times a <paramref name="prompt"/>-token prefill then <paramref name="steps"/> decode steps (after a short
    /// warm-up), each feeding the greedy token or, with <paramref name="randomDecodeIds"/>, a seeded random id;
    /// <paramref name="beforePrompt"/> runs after the warm-up, before the timed prefill.
    /// </summary>
    internal static (double PromptTokensPerSecond, double DecodeTokensPerSecond) Run(InferenceModel m, int prompt, int steps,
        bool randomDecodeIds = false, Action? beforePrompt = null)
    {
        var rng = new Rng(1234);
        var ids = new int[prompt];
        for (int i = 0; i < prompt; i++) ids[i] = rng.NextInt(m.VocabSize);
        // Map every page of a memory-mapped checkpoint first: steady-state decoding is what is measured.
        m.TouchWeights();
        var cache = m.CreateCache();
        var logits = new float[m.VocabSize];
        int[] one = [0];
        // Warm-up: per-thread scratch, routing plans, and the JIT. Kernels start as tier-0 code and are recompiled
        // optimized in the background after a delay (slower still on a busy machine): decode for at least a second,
        // then give the JIT a moment, or the first timed steps run unoptimized kernels (seen: 3–10× slower).
        m.Forward(ids.AsSpan(0, Math.Min(prompt, 8)), cache, logits);
        var warm = Stopwatch.StartNew();
        for (int i = 0; cache.Length < cache.Capacity && (i < 4 || warm.Elapsed.TotalSeconds < 1); i++) { one[0] = ArgMax(logits); m.Forward(one, cache, logits); }
        Thread.Sleep(250);
        cache.Reset();
        m.Forward(ids.AsSpan(0, Math.Min(prompt, 8)), cache, logits);
        for (int i = 0; i < 2 && cache.Length < cache.Capacity; i++) { one[0] = ArgMax(logits); m.Forward(one, cache, logits); }
        cache.Reset();
        beforePrompt?.Invoke();

        long t0 = Stopwatch.GetTimestamp();
        m.Forward(ids, cache, logits);
        double promptSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        int[] decodeIds = new int[steps];
        for (int i = 0; i < steps; i++) decodeIds[i] = rng.NextInt(m.VocabSize);
        long t1 = Stopwatch.GetTimestamp();
        for (int i = 0; i < steps; i++)
        {
            one[0] = randomDecodeIds ? decodeIds[i] : ArgMax(logits);
            m.Forward(one, cache, logits);
        }
        double decodeSeconds = Stopwatch.GetElapsedTime(t1).TotalSeconds;
        return (prompt / promptSeconds, steps / decodeSeconds);
    }

    static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    static int? Positive(int? value, string flag) =>
        value is null or > 0 ? value : throw new InvalidRecipeException(flag, 0, $"must be a positive integer, found {value}");
}
