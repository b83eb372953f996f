using System.Globalization;
using System.Text.Json;
using Switchyard.Formats;

namespace Switchyard.Training;

/// <summary>
/// The measured outcome of a <see cref="Reproduction"/>: the method's and the baseline's rows (mean ±
/// std over seeds at equal steps), each part of the claim checked, and the verdict.
/// </summary>
/// <param name="Reproduction">What was run.</param>
/// <param name="Method">The method's row.</param>
/// <param name="Baseline">The baseline's row.</param>
/// <param name="Directory">The run folder (runs, <c>compare.json</c>, <c>reproduce.json</c>, plot).</param>
public sealed record ReproductionResult(Reproduction Reproduction, ComparisonRow Method, ComparisonRow Baseline, string Directory)
{
    /// <summary>The results file inside <see cref="Directory"/>.</summary>
    public const string ResultsFile = "reproduce.json";

    /// <summary>The rows of the reproduction's further arms (<see cref="Reproduction.Ablations"/>), reported, not judged.</summary>
    public IReadOnlyList<ComparisonRow> Ablations { get; init; } = [];

    /// <summary>Method − baseline per seed of the claim's <see cref="Reproduction.Metric"/>; empty when the claim has none or it was not measured.</summary>
    public PairedDifference MetricPaired
    {
        get
        {
            if (Reproduction.Metric is not { } m || !Method.Metrics.TryGetValue(m.Name, out var a) || !Baseline.Metrics.TryGetValue(m.Name, out var b)) return new PairedDifference([]);
            return PairedDifference.Of(a, b) with { HigherIsBetter = m.HigherIsBetter };
        }
    }

    /// <summary>The claim's metric part: the mean paired difference goes the claimed way (true when the claim has no metric).</summary>
    public bool MetricHolds => Reproduction.Metric is not { } m || (MetricPaired is { Count: > 0 } p && (m.HigherIsBetter ? p.Mean > 0 : p.Mean < 0));

    /// <summary>Baseline minus method loss: positive when the method is better.</summary>
    public double Difference => Baseline.ValLossMean - Method.ValLossMean;

    /// <summary>√(σ_method² + σ_baseline²) over the seeds (0 with one seed).</summary>
    public double Sigma => Math.Sqrt(Method.ValLossStd * Method.ValLossStd + Baseline.ValLossStd * Baseline.ValLossStd);

    /// <summary>Method − baseline per seed (same seed = same data order): what the verdict's loss part reads.</summary>
    public PairedDifference Paired => PairedDifference.Of(Method, Baseline);

    /// <summary>
    /// The claim's loss part ("no worse than the baseline"): the mean paired difference (method − baseline per seed)
    /// is ≤ 0; without per-seed losses, the method's mean loss is at most the baseline's.
    /// </summary>
    public bool LossHolds => Paired is { Count: > 0 } p ? p.Mean <= 0 : Difference >= 0;

    /// <summary>
    /// The method is worse, but by no more than the noise: the mean paired difference is within one standard
    /// deviation of the differences (without per-seed losses: the unpaired difference within <see cref="Sigma"/>).
    /// </summary>
    public bool LossWithinNoise => !LossHolds && (Paired is { Count: > 0 } p
        ? p.Std > 0 && p.Mean <= p.Std
        : Sigma > 0 && -Difference <= Sigma);

    /// <summary>The claim's cost part: the method's kept experts per token ≤ <see cref="Reproduction.MaxExpertsPerToken"/> (true when the claim has none).</summary>
    public bool CostHolds => Reproduction.MaxExpertsPerToken is not { } max || Method.ExpertsPerToken <= max;

    /// <summary>Method expert FLOPs per token / baseline's: compute follows routing.</summary>
    public double FlopsRatio => Baseline.ExpertFlopsPerToken > 0 ? Method.ExpertFlopsPerToken / Baseline.ExpertFlopsPerToken : double.NaN;

    /// <summary>
    /// Without a metric: reproduced when the loss and cost parts hold; partly when the loss part holds but not the
    /// cost part, or the cost part holds and the loss part only within noise; else not reproduced (cheaper but clearly
    /// worse is not the claim). With a metric (<see cref="Reproduction.Metric"/>), the metric is the claim and the loss
    /// its guard: reproduced when the metric and cost parts hold and the loss is no worse beyond noise; partly when
    /// only the metric part holds, or the metric fails but the loss and cost parts hold; else not reproduced.
    /// </summary>
    public ReproductionVerdict Verdict => Reproduction.Metric is null
        ? LossHolds && CostHolds ? ReproductionVerdict.Reproduced
            : LossHolds || (LossWithinNoise && CostHolds) ? ReproductionVerdict.Partly
            : ReproductionVerdict.NotReproduced
        : MetricHolds && CostHolds && (LossHolds || LossWithinNoise) ? ReproductionVerdict.Reproduced
            : MetricHolds || (LossHolds && CostHolds) ? ReproductionVerdict.Partly
            : ReproductionVerdict.NotReproduced;

    /// <summary>The verdict as docs/methods.md writes it.</summary>
    public string VerdictText => Verdict switch
    {
        ReproductionVerdict.Reproduced => "reproduced",
        ReproductionVerdict.Partly => "partly",
        _ => "not reproduced",
    };

    /// <summary>One line: measured method vs baseline loss (unpaired means, then the paired per-seed difference), experts per token and FLOPs ratio.</summary>
    public string MeasuredText
    {
        get
        {
            var c = CultureInfo.InvariantCulture;
            string spread = Sigma == 0 ? "no spread (1 seed)" : string.Format(c, "{0:F1}σ", Math.Abs(Difference) / Sigma);
            string epTok = Baseline.IsDense
                ? string.Format(c, "{0:F2} experts/token vs dense", Method.ExpertsPerToken)
                : string.Format(c, "{0:F2} vs {1:F2} experts/token", Method.ExpertsPerToken, Baseline.ExpertsPerToken);
            return string.Format(c, "val loss {0:F3} ± {1:F3} vs {2} {3:F3} ± {4:F3} ({5} by {6:F3} nats, {7}); {8}; {9}; expert FLOPs ×{10:F2}; {11} seeds × {12} steps",
                Method.ValLossMean, Method.ValLossStd, Baseline.Router, Baseline.ValLossMean, Baseline.ValLossStd,
                Difference >= 0 ? "better" : "worse", Math.Abs(Difference), spread, Paired, epTok, FlopsRatio, Method.Seeds, Reproduction.Recipe.Steps)
                + (Reproduction.Metric is { } m ? string.Format(c, "; {0} {1:G4} vs {2:G4} ({3}, claim: {4})", m.Name, Method.MetricMean(m.Name),
                    Baseline.MetricMean(m.Name), MetricPaired, m.HigherIsBetter ? "higher" : "lower") : "");
        }
    }

    /// <summary>Writes <see cref="ResultsFile"/> into <see cref="Directory"/> atomically and returns its path.</summary>
    public string Write()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("name", Reproduction.Name);
            w.WriteString("paper", Reproduction.Paper);
            w.WriteString("arxiv", Reproduction.ArXiv);
            w.WriteString("claim", Reproduction.Claim);
            w.WriteNumber("steps", Reproduction.Recipe.Steps);
            w.WriteNumber("seeds", Method.Seeds);
            Row(w, "method", Method);
            Row(w, "baseline", Baseline);
            w.WriteNumber("difference", Difference);
            w.WriteNumber("sigma", Sigma);
            PairedDifference paired = Paired;
            w.WriteStartObject("paired");
            w.WriteStartArray("differences");
            foreach (double d in paired.Differences) w.WriteNumberValue(d);
            w.WriteEndArray();
            if (paired.Count == 0) w.WriteNull("mean"); else w.WriteNumber("mean", paired.Mean);
            w.WriteNumber("std", paired.Std);
            w.WriteNumber("seeds_favouring_method", paired.SeedsFavouringMethod);
            w.WriteEndObject();
            if (Reproduction.Metric is { } metric)
            {
                w.WriteStartObject("metric");
                w.WriteString("name", metric.Name);
                w.WriteString("better", metric.HigherIsBetter ? "higher" : "lower");
                PairedDifference mp = MetricPaired;
                w.WriteStartArray("differences");
                foreach (double d in mp.Differences) w.WriteNumberValue(d);
                w.WriteEndArray();
                if (mp.Count == 0) w.WriteNull("mean"); else w.WriteNumber("mean", mp.Mean);
                w.WriteNumber("std", mp.Std);
                w.WriteBoolean("holds", MetricHolds);
                w.WriteEndObject();
            }
            if (Ablations.Count > 0)
            {
                w.WriteStartArray("ablations");
                foreach (var a in Ablations) { w.WriteStartObject(); RowFields(w, a); w.WriteEndObject(); }
                w.WriteEndArray();
            }
            w.WriteBoolean("loss_holds", LossHolds);
            w.WriteBoolean("loss_within_noise", LossWithinNoise);
            if (Reproduction.MaxExpertsPerToken is { } max) w.WriteNumber("max_experts_per_token", max); else w.WriteNull("max_experts_per_token");
            w.WriteBoolean("cost_holds", CostHolds);
            if (double.IsNaN(FlopsRatio)) w.WriteNull("flops_ratio"); else w.WriteNumber("flops_ratio", FlopsRatio);
            w.WriteString("measured", MeasuredText);
            w.WriteString("verdict", VerdictText);
            w.WriteEndObject();
        }
        string path = Path.Combine(Directory, ResultsFile);
        AtomicFile.WriteAllBytes(path, stream.ToArray());
        return path;
    }

    static void Row(Utf8JsonWriter w, string name, ComparisonRow r)
    {
        w.WriteStartObject(name);
        RowFields(w, r);
        w.WriteEndObject();
    }

    static void RowFields(Utf8JsonWriter w, ComparisonRow r)
    {
        w.WriteString("label", r.Router);
        w.WriteNumber("val_loss_mean", r.ValLossMean);
        w.WriteNumber("val_loss_std", r.ValLossStd);
        w.WriteStartArray("val_losses");
        foreach (double l in r.ValLosses) w.WriteNumberValue(l);
        w.WriteEndArray();
        if (double.IsNaN(r.ExpertsPerToken)) w.WriteNull("experts_per_token"); else w.WriteNumber("experts_per_token", r.ExpertsPerToken);
        w.WriteNumber("expert_flops_per_token", r.ExpertFlopsPerToken);
        w.WriteStartArray("runs");
        foreach (string d in r.RunDirectories) w.WriteStringValue(d);
        w.WriteEndArray();
        w.WriteStartObject("metrics");
        foreach (var (metric, values) in r.Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            w.WriteStartArray(metric);
            foreach (double v in values) w.WriteNumberValue(v);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }
}
