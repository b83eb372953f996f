using System.Buffers;
using System.Text.Json;
using Switchyard.Formats;
using Switchyard.Nn.Optim;
using Switchyard.Routing.Selectors;

namespace Switchyard.Training;

// Checkpoints, resume and the metrics log.
public sealed partial class Trainer
{
    // Each file is replaced atomically; trainer_state.json goes last, so a crash mid-checkpoint
    // leaves the previous state file, which resume refuses to pair with newer weights (step check).
    void Checkpoint()
    {
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["step"] = _step.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        _model.Save(Path.Combine(_dir, ModelFile), meta);
        _model.Config.Save(Path.Combine(_dir, ConfigFile));
        _optimizer.ExportState().Save(Path.Combine(_dir, OptimizerFile));
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("step", _step);
            w.WriteNumber("total_steps", _recipe.Steps);
            w.WriteNumber("threads", _threads);
            w.WriteNumber("learning_rate", _schedule.At(_step));
            w.WriteStartObject("schedule");
            w.WriteNumber("peak_lr", _schedule.PeakLearningRate);
            w.WriteNumber("min_lr", _schedule.MinLearningRate);
            w.WriteNumber("warmup_steps", _schedule.WarmupSteps);
            w.WriteNumber("total_steps", _schedule.TotalSteps);
            w.WriteEndObject();
            var b = _batcher.State;
            w.WriteStartObject("batcher");
            w.WriteNumber("s0", b.S0); w.WriteNumber("s1", b.S1); w.WriteNumber("s2", b.S2); w.WriteNumber("s3", b.S3);
            w.WriteNumber("step", b.Step);
            w.WriteEndObject();
            var r = _model.Rng.State;
            w.WriteStartObject("model_rng");
            w.WriteNumber("s0", r.S0); w.WriteNumber("s1", r.S1); w.WriteNumber("s2", r.S2); w.WriteNumber("s3", r.S3);
            w.WriteEndObject();
            w.WriteStartObject("router_bias");
            foreach (var (key, m) in KeyedMoeLayers())
                if (m.Router.Selector is TopKSelector { Bias: { } bias })
                {
                    w.WriteStartArray(key);
                    foreach (float v in bias.Values) w.WriteNumberValue(v);
                    w.WriteEndArray();
                }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(Path.Combine(_dir, StateFile), stream.ToArray());
        _lastCheckpoint = _step;
    }

    // "i" for a decoder layer's first routed layer (the format before blocks routed more than once), "i.j" for the j-th after it.
    IEnumerable<(string Key, Experts.MoeLayer Layer)> KeyedMoeLayers()
    {
        int last = -1, j = 0;
        foreach (var (i, m) in MoeLayers())
        {
            j = i == last ? j + 1 : 0;
            last = i;
            string index = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            yield return (j == 0 ? index : $"{index}.{j.ToString(System.Globalization.CultureInfo.InvariantCulture)}", m);
        }
    }

    void Restore(JsonElement state)
    {
        int step = state.GetProperty("step").GetInt32();
        if (_model.Load(Path.Combine(_dir, ModelFile)) is var _ && !ModelStep(step))
            throw new InvalidRecipeException(_dir, 0, $"cannot resume: {ModelFile} and {StateFile} are from different steps (interrupted checkpoint)");
        var opt = OptimizerState.Load(Path.Combine(_dir, OptimizerFile));
        if (opt.Step != step) throw new InvalidRecipeException(_dir, 0, $"cannot resume: {OptimizerFile} is at step {opt.Step}, {StateFile} at {step}");
        _optimizer.ImportState(opt);
        var b = state.GetProperty("batcher");
        _batcher.State = new Data.TokenBatcherState(b.GetProperty("s0").GetUInt64(), b.GetProperty("s1").GetUInt64(), b.GetProperty("s2").GetUInt64(),
            b.GetProperty("s3").GetUInt64(), b.GetProperty("step").GetInt64());
        var r = state.GetProperty("model_rng");
        _model.Rng.State = (r.GetProperty("s0").GetUInt64(), r.GetProperty("s1").GetUInt64(), r.GetProperty("s2").GetUInt64(), r.GetProperty("s3").GetUInt64());
        RestoreRouterBias(state);
        _step = _lastCheckpoint = step;
        TrimMetrics(step);
    }

    // Selection biases (auxiliary-loss-free balancing) are router state, not weights: trainer_state.json carries them.
    void RestoreRouterBias(JsonElement state)
    {
        if (state.TryGetProperty("router_bias", out var biases))
            foreach (var (key, m) in KeyedMoeLayers())
                if (m.Router.Selector is TopKSelector { Bias: { } bias } && biases.TryGetProperty(key, out var arr))
                {
                    int k = 0;
                    foreach (var v in arr.EnumerateArray()) bias.Values[k++] = v.GetSingle();
                }
    }

    bool ModelStep(int step)
    {
        using var file = SafeTensors.Open(Path.Combine(_dir, ModelFile));
        return file.Metadata.TryGetValue("step", out string? s) && s == step.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    // Lines after the checkpoint belong to steps that will be redone.
    void TrimMetrics(int step)
    {
        string path = Path.Combine(_dir, MetricsFile);
        if (!File.Exists(path)) return;
        var kept = new List<string>();
        foreach (string l in File.ReadLines(path))
        {
            if (l.Length == 0) continue;
            using var doc = JsonDocument.Parse(l);
            if (doc.RootElement.GetProperty("step").GetInt32() <= step) kept.Add(l);
        }
        AtomicFile.WriteAllText(path, kept.Count == 0 ? "" : string.Join('\n', kept) + "\n");
    }

    static void WriteMetrics(FileStream file, ArrayBufferWriter<byte> buffer, int step, float loss, float ce, double lr, double gradNorm,
        double tokensPerSecond, double mfu, double elapsed, IReadOnlyList<LayerRouting> routing, EvaluationResult? eval)
    {
        buffer.ResetWrittenCount();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("step", step);
            w.WriteNumber("loss", ce);
            w.WriteNumber("total_loss", loss);
            if (eval is not null)
            {
                w.WriteNumber("val_loss", eval.Loss);
                w.WriteNumber("val_ppl", eval.Perplexity);
            }
            w.WriteNumber("lr", lr);
            w.WriteNumber("grad_norm", gradNorm);
            w.WriteNumber("tokens_per_s", Math.Round(tokensPerSecond, 1));
            w.WriteNumber("mfu", Math.Round(mfu, 5));
            w.WriteNumber("elapsed_s", Math.Round(elapsed, 3));
            w.WriteStartArray("layers");
            foreach (var l in routing)
            {
                w.WriteStartObject();
                w.WriteNumber("layer", l.Layer);
                w.WriteString("router", l.Router);
                w.WriteStartArray("load");
                foreach (float f in l.Load) w.WriteNumberValue(MathF.Round(f, 5));
                w.WriteEndArray();
                w.WriteNumber("load_cv", l.LoadCv);
                w.WriteNumber("dropped", l.DroppedFraction);
                w.WriteNumber("entropy", l.Entropy);
                w.WriteNumber("experts_per_token", l.ExpertsPerToken);
                w.WriteNumber("experts_per_token_min", l.ExpertsPerTokenMin);
                w.WriteNumber("experts_per_token_max", l.ExpertsPerTokenMax);
                w.WriteStartArray("experts_per_token_histogram");
                foreach (int c in l.ExpertsPerTokenHistogram) w.WriteNumberValue(c);
                w.WriteEndArray();
                if (l.NullFraction > 0) w.WriteNumber("null_fraction", l.NullFraction);
                w.WriteStartObject("aux");
                foreach (var a in l.AuxLosses) w.WriteNumber(a.Name, a.Value);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (eval is not null)
            {
                Groups(w, "val_by_source", eval.BySource);
                Groups(w, "val_by_domain", eval.ByDomain);
                Groups(w, "val_by_task", eval.ByTask);
                Groups(w, "val_by_language", eval.ByLanguage);
            }
            w.WriteEndObject();
        }
        file.Write(buffer.WrittenSpan);
        file.WriteByte((byte)'\n');
        file.Flush();
    }

    static void Groups(Utf8JsonWriter w, string name, IReadOnlyList<GroupLoss> groups)
    {
        w.WriteStartObject(name);
        foreach (var g in groups) w.WriteNumber(g.Name, Math.Round(g.Loss, 5));
        w.WriteEndObject();
    }

    void WriteSummary(TrainResult r)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("step", r.Step);
            w.WriteNumber("total_steps", r.TotalSteps);
            w.WriteNumber("train_loss", r.TrainLoss);
            if (r.Validation is { } v)
            {
                w.WriteNumber("val_loss", v.Loss);
                w.WriteNumber("val_ppl", v.Perplexity);
                Groups(w, "val_by_source", v.BySource);
                Groups(w, "val_by_domain", v.ByDomain);
                Groups(w, "val_by_task", v.ByTask);
                Groups(w, "val_by_language", v.ByLanguage);
            }
            w.WriteNumber("unigram_entropy", r.UnigramEntropy);
            w.WriteNumber("tokens_per_s", r.TokensPerSecond);
            w.WriteNumber("mfu", r.Mfu);
            w.WriteNumber("peak_flops", r.PeakFlops);
            w.WriteNumber("train_flops_per_token", r.FlopsPerToken);
            w.WriteNumber("elapsed_s", r.Elapsed.TotalSeconds);
            w.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(Path.Combine(_dir, SummaryFile), stream.ToArray());
    }
}
