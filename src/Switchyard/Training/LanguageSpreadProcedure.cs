using Switchyard.Data;
using Switchyard.Experts;

namespace Switchyard.Training;

/// <summary>
/// Reproduction procedure <c>language-spread</c> (ApolloMoE's "Spread Out in the End", arXiv 2410.10626): trains the
/// arms side by side and measures each run after training, in inference mode (no language ids given to the routers),
/// on its validation batches:
/// <list type="bullet">
/// <item><c>js_layerL</c>: for MoE layer L, each language's distribution of tokens over experts (every selected expert
/// counts once), then the mean Jensen–Shannon divergence (nats) over all language pairs: 0 = languages share experts
/// alike, ln 2 = disjoint experts;</item>
/// <item><c>js_first</c>, <c>js_last</c>, <c>spread</c> = js_last − js_first (positive = languages diverge in later layers);</item>
/// <item><c>heldout_loss</c>: the run's final validation loss on the languages its mixture held out of training
/// (<see cref="UdhrFamilyMixture.HeldOutLanguages"/>), when it has any.</item>
/// </list>
/// </summary>
public sealed class LanguageSpreadProcedure : IReproductionProcedure
{
    /// <inheritdoc/>
    public IReadOnlyList<ComparisonRow> Run(Reproduction reproduction, IReadOnlyList<ComparisonArm> arms, int seeds, string directory,
        TrainOptions? options, Action<string, ulong, int, int>? started, IProgress<TrainStep>? progress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(reproduction);
        return RouterComparison.Run(reproduction.Recipe, arms, seeds, directory, options, started, progress, cancel, Measure);
    }

    /// <summary>Measures one finished run (the <see cref="RouterComparison.RunMeasure"/> of this procedure).</summary>
    public static IReadOnlyDictionary<string, double> Measure(ComparisonArm arm, Recipe run, TrainResult result)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(result);
        // counts[layer][language] = tokens per expert.
        var counts = new SortedDictionary<int, Dictionary<int, double[]>>();
        RoutingProbe.Run(result.RunDirectory, run, (model, batch, _) =>
        {
            int rows = batch.Rows * batch.SequenceLength;
            for (int l = 0; l < model.Layers.Count; l++)
                foreach (MoeLayer moe in model.Layers[l].FeedForward.RoutedLayers)
                {
                    var perLanguage = counts.TryGetValue(l, out var d) ? d : counts[l] = [];
                    var plan = moe.Plan;
                    ReadOnlySpan<int> off = plan.SelectedOffsets, sel = plan.SelectedExpert;
                    for (int i = 0; i < rows; i++)
                    {
                        int language = batch.Languages[i];
                        if (language < 0) continue;
                        double[] c = perLanguage.TryGetValue(language, out var x) ? x : perLanguage[language] = new double[plan.Experts];
                        for (int m = off[i]; m < off[i + 1]; m++) c[sel[m]]++;
                    }
                }
        });
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        double first = double.NaN, last = double.NaN;
        foreach (var (layer, perLanguage) in counts)
        {
            double js = RoutingMeasures.MeanPairwiseJsDivergence([.. perLanguage.Values]);
            metrics[$"js_layer{layer}"] = js;
            if (double.IsNaN(first)) first = js;
            last = js;
        }
        if (counts.Count > 0)
        {
            metrics["js_first"] = first;
            metrics["js_last"] = last;
            metrics["spread"] = last - first;
        }
        if (UdhrFamilyMixture.HeldOutFor(run.Mixture) is { Count: > 0 } heldOut && result.Validation is { } v)
        {
            var losses = v.ByLanguage.Where(g => heldOut.Contains(g.Name)).ToList();
            if (losses.Count > 0) metrics["heldout_loss"] = losses.Sum(g => g.Loss * g.Tokens) / losses.Sum(g => g.Tokens);
        }
        return metrics;
    }
}
