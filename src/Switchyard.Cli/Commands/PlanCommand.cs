using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using Switchyard.Inference;
using Switchyard.Models;
using Switchyard.Tensors;

namespace Switchyard.Cli.Commands;

/// <summary><c>switchyard plan</c>: what of a checkpoint stays in memory under a budget, what streams, and the decode speed to expect.</summary>
internal static class PlanCommand
{
    public static Command Create(IAnsiConsole console, TextWriter output)
    {
        var model = new Option<string>("--model") { Description = "Checkpoint folder (config.json + model.safetensors, or shards with model.safetensors.index.json) or a llama.cpp .gguf file.", Required = true };
        var memory = new Option<long>("--memory")
        {
            Description = "Memory budget for weights, KV cache and expert pool: 123456, 512MB, 1.5G, 8GiB (KB/MB/GB = 1000^n; KiB/MiB/GiB and K/M/G = 1024^n).",
            Required = true,
            CustomParser = r =>
            {
                string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
                try { return ByteSize.Parse(text).Bytes; }
                catch (InvalidByteSizeException e) { r.AddError("--memory: " + e.Message); return 0; }
            },
        };
        var context = TrainCommand.Int("--context", "KV cache positions (default 4096); the estimate is for a token at the end of it.");
        var threads = TrainCommand.Int("--threads", "Threads for the memory bandwidth probe (default: all cores).");
        var memBw = Double("--mem-bw", "Memory read bandwidth in GB/s instead of measuring it (e.g. to plan for another machine).");
        var fileBw = Double("--file-bw", "Checkpoint read bandwidth in GB/s instead of measuring it.");
        var json = new Option<bool>("--json") { Description = "Print the plan as JSON." };
        var command = new Command("plan", "Plan running a checkpoint within a memory budget: resident vs streamed experts, KV cache, expected decode tokens/s.")
        {
            model, memory, context, threads, memBw, fileBw, json,
        };
        command.SetAction(parse =>
        {
            string dir = parse.GetValue(model)!;
            int ctx = parse.GetValue(context) ?? 4096;
            if (ctx <= 0) throw new SwitchyardException($"--context: must be a positive integer, found {ctx}");
            if (parse.GetValue(threads) is { } t)
                ParallelRunner.Threads = t > 0 ? t : throw new SwitchyardException($"--threads: must be a positive integer, found {t}");
            ModelFootprint footprint = Footprint(dir);

            double memGBps = parse.GetValue(memBw) ?? BandwidthProbe.MeasureMemoryReadGBps();
            FileReadBandwidth? probe = null;
            double fileGBps = parse.GetValue(fileBw) ?? (probe = ProbeFile(dir, footprint)).FirstGBps;
            MemoryPlan plan = MemoryPlan.Create(footprint, parse.GetValue(memory), ctx, memGBps, fileGBps);
            if (parse.GetValue(json)) output.WriteLine(Json(plan, probe));
            else Print(console, plan, probe, parse.GetValue(memBw) is null);
            return 0;
        });
        return command;
    }

    static Option<double?> Double(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = r =>
        {
            string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && double.IsFinite(v)) return v;
            r.AddError($"{name}: must be a positive number of GB/s, found '{text}'");
            return null;
        },
    };

    static ModelFootprint Footprint(string dir)
    {
        if (IsGguf(dir)) return ModelFootprint.FromGguf(dir);
        if (!Directory.Exists(dir)) throw new SwitchyardException($"--model: no folder '{dir}'");
        if (!File.Exists(Path.Combine(dir, DecoderModel.ConfigFileName))) throw new SwitchyardException($"--model: '{dir}' has no {DecoderModel.ConfigFileName}");
        if (!File.Exists(Path.Combine(dir, DecoderModel.WeightsFileName)) && !File.Exists(Path.Combine(dir, DecoderModel.WeightsFileName + ".index.json")))
            throw new SwitchyardException($"--model: '{dir}' has neither {DecoderModel.WeightsFileName} nor {DecoderModel.WeightsFileName}.index.json");
        return ModelFootprint.FromSafeTensors(dir);
    }

    static bool IsGguf(string path) => File.Exists(path) && path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);

    // Reads the largest weights file in blocks of one expert, as streaming would.
    static FileReadBandwidth ProbeFile(string dir, ModelFootprint footprint)
    {
        string file = IsGguf(dir) ? dir : Directory.EnumerateFiles(dir, "*.safetensors").OrderByDescending(f => new FileInfo(f).Length).First();
        int block = (int)Math.Clamp(footprint.LargestExpertBytes, 64L << 10, 64L << 20);
        return BandwidthProbe.MeasureFileRead(file, block);
    }

    static void Print(IAnsiConsole console, MemoryPlan plan, FileReadBandwidth? probe, bool memMeasured)
    {
        ModelFootprint m = plan.Model;
        var parts = new Table().Border(TableBorder.Rounded).Title($"memory plan: budget {ByteSize.Format(plan.BudgetBytes)}, context {plan.Context}")
            .AddColumn("part").AddColumn(new TableColumn("size").RightAligned()).AddColumn(new TableColumn("resident").RightAligned())
            .AddColumn(new TableColumn("streamed").RightAligned());
        void Row(string name, long bytes, long resident) =>
            parts.AddRow(Markup.Escape(name), ByteSize.Format(bytes), ByteSize.Format(resident), bytes - resident > 0 ? ByteSize.Format(bytes - resident) : "—");
        Row(m.TiedEmbeddings ? "embeddings (tied lm_head)" : "embeddings", m.EmbeddingBytes, m.EmbeddingBytes);
        if (!m.TiedEmbeddings) Row("lm_head", m.LmHeadBytes, m.LmHeadBytes);
        Row("attention + norms", m.Layers.Sum(l => l.AttentionBytes) + m.OtherBytes, m.Layers.Sum(l => l.AttentionBytes) + m.OtherBytes);
        if (m.Layers.Any(l => l.DenseFeedForwardBytes > 0)) Row("dense MLPs", m.Layers.Sum(l => l.DenseFeedForwardBytes), m.Layers.Sum(l => l.DenseFeedForwardBytes));
        if (m.Layers.Any(l => l.RouterBytes > 0)) Row("routers", m.Layers.Sum(l => l.RouterBytes), m.Layers.Sum(l => l.RouterBytes));
        if (m.Layers.Any(l => l.SharedExpertBytes > 0)) Row("shared experts", m.Layers.Sum(l => l.SharedExpertBytes), m.Layers.Sum(l => l.SharedExpertBytes));
        if (m.ExpertCount > 0)
            Row($"routed experts ({m.ExpertCount} × {ByteSize.Format(m.LargestExpertBytes)})", m.RoutedExpertBytes, m.RoutedExpertBytes - plan.StreamedBytes);
        Row("KV cache (float32 K, V)", plan.KvCacheBytes, plan.KvCacheBytes);
        parts.AddRow("[bold]total[/]", ByteSize.Format(m.TotalBytes + plan.KvCacheBytes), $"[bold]{ByteSize.Format(plan.ResidentBytes)}[/]",
            plan.StreamedBytes > 0 ? ByteSize.Format(plan.StreamedBytes) : "—");
        console.Write(parts);

        if (!plan.Fits)
        {
            console.MarkupLine($"[red]does not fit:[/] raise --memory or shorten --context; needs at least {ByteSize.Format(plan.MinimumBytes)} ({plan.MinimumBytes} bytes): non-expert weights "
                + $"{ByteSize.Format(plan.NonExpertBytes)} + KV cache {ByteSize.Format(plan.KvCacheBytes)}"
                + (m.ExpertCount > 0 ? $" + one expert slot {ByteSize.Format(plan.ExpertSlotBytes)}" : ""));
            return;
        }
        else if (m.ExpertCount > 0)
        {
            string perLayer = string.Join(", ", plan.Layers.GroupBy(l => (l.ResidentExperts, l.Experts))
                .Select(g => $"{g.Key.ResidentExperts} of {g.Key.Experts} in {g.Count()} layer{(g.Count() == 1 ? "" : "s")}"));
            console.MarkupLine(plan.AllResident
                ? $"all {m.ExpertCount} routed experts resident; nothing streams"
                : $"expert pool: {plan.ExpertSlots} slots × {ByteSize.Format(plan.ExpertSlotBytes)} = {ByteSize.Format(plan.ExpertPoolBytes)} "
                  + $"(generate --expert-memory {plan.ExpertPoolBytes}); resident per layer: {perLayer}");
        }
        string file = probe is null ? $"{plan.FileGBps:F2} GB/s (given)"
            : $"{probe.FirstGBps:F2} GB/s first read, {probe.WarmGBps:F2} GB/s warm ({Markup.Escape(Path.GetFileName(probe.Path))}, {ByteSize.Format(probe.Bytes)}"
              + (probe.LikelyCachedBothTimes ? "; both passes likely from the page cache" : "") + ")";
        console.MarkupLine($"bandwidth: memory {plan.MemoryGBps:F1} GB/s ({(memMeasured ? "measured" : "given")}), file {file}");
        console.MarkupLine($"per token: {ByteSize.Format(plan.ActiveBytesPerToken)} read from memory (weights {ByteSize.Format(plan.ActiveWeightBytesPerToken)} + KV {ByteSize.Format(plan.KvCacheBytes)}), "
            + $"{ByteSize.Format((long)plan.MissedBytesPerToken)} expected from the file; expert hit rate {100 * plan.ExpectedHitRate:F1}%");
        console.MarkupLine($"[bold]expected decode: {plan.TokensPerSecond:F2} tokens/s[/] at the end of the context");
        console.MarkupLine("[dim]assumes uniform routing (hit rate = resident fraction of each layer's experts; real routing is skewed, so LRU/LFU do better) "
            + "and that decoding is bandwidth-bound: time = active bytes / memory BW + missed expert bytes / file BW.[/]");
    }

    static string Json(MemoryPlan plan, FileReadBandwidth? probe)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            ModelFootprint m = plan.Model;
            w.WriteStartObject();
            w.WriteNumber("budget_bytes", plan.BudgetBytes);
            w.WriteNumber("context", plan.Context);
            w.WriteBoolean("fits", plan.Fits);
            w.WriteNumber("minimum_bytes", plan.MinimumBytes);
            w.WriteNumber("resident_bytes", plan.ResidentBytes);
            w.WriteNumber("streamed_bytes", plan.StreamedBytes);
            w.WriteStartObject("parts");
            w.WriteNumber("embeddings", m.EmbeddingBytes);
            w.WriteNumber("lm_head", m.LmHeadBytes);
            w.WriteBoolean("tied_embeddings", m.TiedEmbeddings);
            w.WriteNumber("attention_and_norms", m.Layers.Sum(l => l.AttentionBytes) + m.OtherBytes);
            w.WriteNumber("dense_mlps", m.Layers.Sum(l => l.DenseFeedForwardBytes));
            w.WriteNumber("routers", m.Layers.Sum(l => l.RouterBytes));
            w.WriteNumber("shared_experts", m.Layers.Sum(l => l.SharedExpertBytes));
            w.WriteNumber("routed_experts", m.RoutedExpertBytes);
            w.WriteNumber("kv_cache", plan.KvCacheBytes);
            w.WriteEndObject();
            w.WriteStartObject("experts");
            w.WriteNumber("count", m.ExpertCount);
            w.WriteNumber("slot_bytes", plan.ExpertSlotBytes);
            w.WriteNumber("slots", plan.ExpertSlots);
            w.WriteNumber("pool_bytes", plan.ExpertPoolBytes);
            w.WriteNumber("expected_hit_rate", plan.ExpectedHitRate);
            w.WriteStartArray("layers");
            foreach (LayerPlan l in plan.Layers)
            {
                w.WriteStartObject();
                w.WriteNumber("layer", l.Layer);
                w.WriteNumber("experts", l.Experts);
                w.WriteNumber("resident", l.ResidentExperts);
                w.WriteNumber("expected_hit_rate", l.ExpectedHitRate);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject("bandwidth");
            w.WriteNumber("memory_gbps", plan.MemoryGBps);
            w.WriteNumber("file_gbps", plan.FileGBps);
            if (probe is not null)
            {
                w.WriteNumber("file_first_gbps", probe.FirstGBps);
                w.WriteNumber("file_warm_gbps", probe.WarmGBps);
            }
            w.WriteEndObject();
            w.WriteNumber("active_bytes_per_token", plan.ActiveBytesPerToken);
            w.WriteNumber("missed_bytes_per_token", plan.MissedBytesPerToken);
            w.WriteNumber("seconds_per_token", plan.SecondsPerToken);
            w.WriteNumber("tokens_per_second", plan.TokensPerSecond);
            w.WriteString("assumption", "uniform routing: hit rate = resident fraction of each layer's experts; time = active bytes / memory BW + missed expert bytes / file BW");
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
