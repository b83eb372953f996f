using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Switchyard.Inference;
using Switchyard.Tensors;
using Switchyard.Training;

namespace Switchyard.Cli.Commands;

/// <summary><c>switchyard bench decode</c>: prefill and decode throughput of a model folder, one JSON line.</summary>
internal static class BenchCommand
{
    public static Command Create(TextWriter output)
    {
        var model = new Option<string>("--model") { Description = "Model folder: a Hugging Face checkpoint or a Switchyard run.", Required = true };
        var promptTokens = TrainCommand.Int("--prompt-tokens", "Prompt length processed in one prefill (default 128).");
        var decodeTokens = TrainCommand.Int("--decode-tokens", "Single-token decode steps timed after the prefill (default 64).");
        var threads = TrainCommand.Int("--threads", "Kernel threads (default: all cores).");
        var noProbe = new Option<bool>("--no-bandwidth") { Description = "Skip the memory bandwidth probe (and the ceiling it gives)." };
        var decode = new Command("decode", "Time a prompt prefill and token-by-token decoding (greedy) on random token ids; print one JSON line "
            + "with the memory-bandwidth ceiling of decoding (bandwidth / active weight bytes per token) and the fraction of it reached.")
        {
            model, promptTokens, decodeTokens, threads, noProbe,
        };
        decode.SetAction(parse =>
        {
            string path = parse.GetValue(model)!;
            int prompt = Positive(parse.GetValue(promptTokens), "--prompt-tokens") ?? 128;
            int steps = Positive(parse.GetValue(decodeTokens), "--decode-tokens") ?? 64;
            GenerateCommand.SetThreads(parse.GetValue(threads));
            using var m = InferenceModel.Load(path, new InferenceOptions { MaxContext = prompt + steps + 1 });
            var r = Run(m, prompt, steps);
            // Decoding reads every active weight once per token: memory bandwidth / bytes per token bounds tokens/s.
            double? gbps = parse.GetValue(noProbe) ? null : BandwidthProbe.MeasureMemoryReadGBps(threads: ParallelRunner.Threads);
            long active = m.ActiveWeightBytesPerToken;
            var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("model", path);
                w.WriteNumber("threads", ParallelRunner.Threads);
                w.WriteNumber("prompt_tokens", prompt);
                w.WriteNumber("prompt_tok_s", Math.Round(r.PromptTokensPerSecond, 2));
                w.WriteNumber("decode_tokens", steps);
                w.WriteNumber("decode_tok_s", Math.Round(r.DecodeTokensPerSecond, 2));
                w.WriteNumber("active_weight_bytes_per_token", active);
                if (gbps is { } g)
                {
                    double ceiling = g * 1e9 / active;
                    w.WriteNumber("memory_gb_s", Math.Round(g, 2));
                    w.WriteNumber("bandwidth_ceiling_tok_s", Math.Round(ceiling, 2));
                    w.WriteNumber("fraction_of_ceiling", Math.Round(r.DecodeTokensPerSecond / ceiling, 4));
                }
                w.WriteEndObject();
            }
            output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            return 0;
        });
        return new Command("bench", "Benchmarks of the inference engine.") { decode };
    }

    /// <summary>Times a <paramref name="prompt"/>-token prefill then <paramref name="steps"/> greedy decode steps (after a short warm-up).</summary>
    internal static (double PromptTokensPerSecond, double DecodeTokensPerSecond) Run(InferenceModel m, int prompt, int steps)
    {
        var rng = new Rng(1234);
        var ids = new int[prompt];
        for (int i = 0; i < prompt; i++) ids[i] = rng.NextInt(m.VocabSize);
        var cache = m.CreateCache();
        var logits = new float[m.VocabSize];
        int[] one = [0];
        // Warm-up: JIT, per-thread scratch, routing plans.
        m.Forward(ids.AsSpan(0, Math.Min(prompt, 8)), cache, logits);
        for (int i = 0; i < 2 && cache.Length < cache.Capacity; i++) { one[0] = ArgMax(logits); m.Forward(one, cache, logits); }
        cache.Reset();

        long t0 = Stopwatch.GetTimestamp();
        m.Forward(ids, cache, logits);
        double promptSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        long t1 = Stopwatch.GetTimestamp();
        for (int i = 0; i < steps; i++)
        {
            one[0] = ArgMax(logits);
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
