using System.Globalization;
using System.Text.Json;
using Switchyard.Data;
using Switchyard.Data.Tokenizers;
using Switchyard.Formats;
using Switchyard.Models;

namespace Switchyard.Training;

/// <summary>
/// The <c>duo-oracle</c> reproduction procedure (Duo-LLM, arXiv 2410.10846, shared/specs/token-routers.md §11 (d)):
/// trains the arms side by side (stage 1: a <c>duo-random</c> arm; stage 3: <c>duo-router</c> arms that start from it
/// with only the routers trainable), then measures every run on the same validation tokens
/// (<see cref="Sequences"/> windows of at most <see cref="Length"/> tokens, spread over the validation split):
/// the random arm by <see cref="DuoOracle.Analyze"/> (all big, all small, oracle and best of random for B = 1, 2) and
/// each router arm by <see cref="DuoOracle.Routed"/> (its loss and big-layer share). Writes <see cref="ResultsFile"/>.
/// </summary>
/// <remarks>
/// The verdict's metric <c>claim_loss</c> is the spec's headline, paired by seed: on the method row the oracle with
/// B = <see cref="ClaimBudget"/> (measured on the random arm's weights, which the router arm shares frozen), on the
/// baseline row all big; the loss guard compares the router's and the random arm's validation losses.
/// </remarks>
public sealed class DuoReproduction : IReproductionProcedure
{
    /// <summary>The procedure's name in reproduction files.</summary>
    public const string Name = "duo-oracle";

    /// <summary>Summary file inside the reproduction directory.</summary>
    public const string ResultsFile = "duo.json";

    /// <summary>Validation windows the analysis runs on.</summary>
    public const int Sequences = 8;

    /// <summary>Tokens per window at most (the oracle's passes grow with the square of it).</summary>
    public const int Length = 64;

    /// <summary>The budget of the headline claim "oracle(B) ≤ all big".</summary>
    public const int ClaimBudget = 1;

    /// <inheritdoc/>
    public IReadOnlyList<ComparisonRow> Run(Reproduction reproduction, IReadOnlyList<ComparisonArm> arms, int seeds, string directory,
        TrainOptions? options, Action<string, ulong, int, int>? started, IProgress<TrainStep>? progress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(reproduction);
        ArgumentNullException.ThrowIfNull(arms);
        IReadOnlyList<ComparisonRow> rows = RouterComparison.Run(reproduction.Recipe, arms, seeds, directory, options, started, progress, cancel, Measure);
        if (rows.Count < 2) return rows;
        int random = -1;
        for (int i = 0; i < arms.Count && i < rows.Count; i++)
            if (arms[i].Recipe.Router == "duo-random") random = i;
        if (random < 0) throw new InvalidRecipeException(reproduction.Name, 0, "the duo-oracle procedure needs one arm with the router 'duo-random' (stage 1)");
        var shared = rows[random].Metrics;
        string oracle = $"oracle_b{ClaimBudget}";
        var result = new List<ComparisonRow>();
        for (int i = 0; i < rows.Count; i++)
        {
            var metrics = new Dictionary<string, IReadOnlyList<double>>(rows[i].Metrics, StringComparer.Ordinal);
            if (i != random) foreach (var (k, v) in shared) metrics.TryAdd(k, v); // same frozen experts: the random arm's analysis
            if (i == 0 && shared.TryGetValue(oracle, out var o)) metrics["claim_loss"] = o;
            if (i == 1 && shared.TryGetValue("all_big", out var b)) metrics["claim_loss"] = b;
            result.Add(rows[i] with { Metrics = metrics });
        }
        Write(Path.Combine(directory, ResultsFile), reproduction, result);
        return result;
    }

    static IReadOnlyDictionary<string, double> Measure(ComparisonArm arm, Recipe run, TrainResult result)
    {
        DecoderModel model = DecoderModel.FromPretrained(result.RunDirectory, MoeFeedForward.Factory);
        var (inputs, targets, length) = Tokens(run);
        var m = new Dictionary<string, double>(StringComparer.Ordinal);
        DuoRoutedResult routed = DuoOracle.Routed(model, inputs, targets, Sequences, length);
        string prefix = run.Router == "duo-random" ? "random_routing" : "router";
        m[prefix + "_loss"] = routed.Loss;
        m[prefix + "_big_layers"] = routed.BigFraction * model.Layers.Count;
        m[prefix + "_skip_fraction"] = routed.SkipFraction;
        if (run.Router != "duo-random") return m;
        DuoOracleReport report = DuoOracle.Analyze(model, inputs, targets, Sequences, length, new DuoOracleOptions { Seed = run.Seed });
        m["all_big"] = report.AllBig;
        m["all_small"] = report.AllSmall;
        foreach (DuoBudgetResult b in report.Budgets)
        {
            string s = b.Budget.ToString(CultureInfo.InvariantCulture);
            m["oracle_b" + s] = b.Oracle;
            if (!double.IsNaN(b.OracleJoint)) m["oracle_joint_b" + s] = b.OracleJoint;
            m["best_random_b" + s] = b.BestRandom;
            m["mean_random_b" + s] = b.MeanRandom;
            m["difficulty_b" + s] = b.Difficulty;
            for (int l = 0; l < b.BigLayerShare.Count; l++) m[$"oracle_b{s}_big_share_layer{l}"] = b.BigLayerShare[l];
        }
        return m;
    }

    // Sequences windows spread evenly over the validation split (byte tokenizer), the first `Length` tokens of each.
    static (int[] Inputs, int[] Targets, int Length) Tokens(Recipe run)
    {
        if (run.Tokenizer != "byte") throw new InvalidRecipeException(run.Name, 0, "the duo-oracle procedure measures byte-tokenised runs (bits per byte); set data.tokenizer to \"byte\"");
        DataMixture mixture = MixtureCatalog.Build(run.Mixture, ByteTokenizer.Instance, run.Seed, run.ValidationFraction);
        int length = Math.Min(Length, run.SeqLen);
        EvaluationBatches windows = mixture.Evaluation(1, length);
        var inputs = new int[Sequences * length];
        var targets = new int[Sequences * length];
        int taken = 0, index = 0, total = windows.Windows;
        foreach (TokenBatch b in windows)
        {
            if (taken == Sequences) break;
            if (index++ != (int)((long)taken * total / Sequences)) continue;
            Array.Copy(b.Inputs, 0, inputs, taken * length, length);
            for (int t = 0; t < length; t++)
                targets[taken * length + t] = b.LossMask[t] != 0f ? b.Targets[t] : DecoderModel.IgnoreIndex;
            taken++;
        }
        if (taken < Sequences) throw new InvalidRecipeException(run.Name, 0, $"the validation split holds {taken} windows of {length} tokens, the analysis needs {Sequences}");
        return (inputs, targets, length);
    }

    static void Write(string path, Reproduction reproduction, IReadOnlyList<ComparisonRow> rows)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("name", reproduction.Name);
            w.WriteString("units", "nats/token over the probed validation tokens; bits per byte = nats / ln 2");
            w.WriteNumber("sequences", Sequences);
            w.WriteNumber("max_tokens_per_sequence", Length);
            w.WriteStartObject("arms");
            foreach (ComparisonRow r in rows)
            {
                w.WriteStartObject(r.Router);
                w.WriteNumber("val_loss_mean", r.ValLossMean);
                foreach (var (name, values) in r.Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    w.WriteStartObject(name);
                    double mean = values.Average();
                    w.WriteNumber("mean", mean);
                    w.WriteNumber("std", values.Count < 2 ? 0 : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)));
                    w.WriteStartArray("values");
                    foreach (double v in values) w.WriteNumberValue(v);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(path, stream.ToArray());
    }
}
