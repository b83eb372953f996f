using System.Globalization;
using Switchyard.Inference;
using Switchyard.Models;

namespace Switchyard.Training;

/// <summary>
/// The <c>read-me</c> reproduction procedure (shared/specs/token-routers.md §15): trains the arms side by side (the
/// dense pre-training arm first) and, for every MoE run, replays the final model's routes on validation batches through
/// an expert cache of <see cref="CacheSlots"/> experts per layer, token after token as a decoder would request them:
/// <c>hit_rate_lru</c> (online LRU), <c>hit_rate_belady</c> (evict the expert used farthest in the future) and
/// <c>hit_rate</c>, the rate a server can actually reach — Belady for a model whose routes are known before the backbone
/// runs (Read-ME's pre-gating router: lookahead), LRU for per-layer routers (a layer's route exists only once the layer
/// runs). Also <c>layer_agreement</c>: the share of tokens whose expert in a later layer equals the first layer's.
/// </summary>
public sealed class ReadMeProcedure : IReproductionProcedure
{
    /// <summary>Experts each layer's cache holds (the spec's cache size 2).</summary>
    public const int CacheSlots = 2;

    /// <summary>Validation batches replayed.</summary>
    public const int ProbeBatches = 4;

    /// <inheritdoc/>
    public IReadOnlyList<ComparisonRow> Run(Reproduction reproduction, IReadOnlyList<ComparisonArm> arms, int seeds, string directory,
        TrainOptions? options, Action<string, ulong, int, int>? started, IProgress<TrainStep>? progress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(reproduction);
        return RouterComparison.Run(reproduction.Recipe, arms, seeds, directory, options, started, progress, cancel,
            (arm, run, result) => run.ResolvedModel().IsMoe ? Measure(result.RunDirectory, run) : new Dictionary<string, double>());
    }

    /// <summary>The cache replay and layer agreement of the model saved in <paramref name="runDirectory"/> (see the class remarks).</summary>
    public static IReadOnlyDictionary<string, double> Measure(string runDirectory, Recipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        DecoderModel model = DecoderModel.FromPretrained(runDirectory, MoeFeedForward.Factory);
        bool lookahead = Enumerable.Range(0, model.Layers.Count).Select(i => model.Layers[i].FeedForward).OfType<ReadMeFeedForward>().Any(b => b.SharedRouting);
        var routes = new SortedDictionary<int, List<int>>(); // layer → expert of each token, in token order (−1: none)
        RoutingProbe.Run(model, recipe, ProbeBatches, (_, layer, moe) =>
        {
            if (!routes.TryGetValue(layer, out var list)) routes[layer] = list = [];
            var plan = moe.Plan;
            for (int t = 0; t < plan.Items; t++)
                list.Add(plan.ItemOffsets[t + 1] > plan.ItemOffsets[t] ? plan.Expert[plan.ItemSlot[plan.ItemOffsets[t]]] : -1);
        }, runDirectory);
        double lru = 0, belady = 0, agree = 0;
        int[] first = [.. routes.Values.First()];
        foreach (var (layer, experts) in routes)
        {
            List<ExpertKey> trace = [.. experts.Where(e => e >= 0).Select(e => new ExpertKey(layer, e))];
            lru += CacheSimulator.Replay(new LruPolicy(), trace, CacheSlots).HitRate;
            belady += BeladyReplay.Replay(trace, CacheSlots).HitRate;
            if (layer != routes.Keys.First()) agree += experts.Zip(first, (a, b) => a == b ? 1.0 : 0.0).Average();
        }
        int layers = routes.Count;
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["hit_rate_lru"] = lru / layers,
            ["hit_rate_belady"] = belady / layers,
            ["hit_rate"] = (lookahead ? belady : lru) / layers,
            ["layer_agreement"] = layers > 1 ? agree / (layers - 1) : 1,
            ["lookahead"] = lookahead ? 1 : 0,
        };
    }
}
