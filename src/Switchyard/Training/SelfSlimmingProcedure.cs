using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchyard.Routing.Catalog;

namespace Switchyard.Training;

/// <summary>
/// <c>"procedure": "self-slimming"</c> (SMoE-Dropout, arXiv 2303.01610; shared/specs/token-routers.md §5 (d)): trains every
/// arm as usual, then evaluates each run's final checkpoint again with k = 1, 2, 4, …, E experts per token at inference
/// (the same weights and validation batches, <see cref="Trainer.Evaluate(string, Recipe?)"/>), recording per seed <c>val_loss_k{k}</c> and
/// <see cref="Metric"/> = L(k = E/4) − L(k = E): how much loss slimming the model to a quarter of its experts costs.
/// </summary>
/// <remarks>
/// The evaluation k goes into the router's options: <c>eval_k</c> where the router has one (<c>smoe-dropout</c>), else
/// <c>k</c> (the top-k family, <c>adamoe</c>, …); per-layer router overrides keep their own options. Every arm needs such a
/// router: the dense control has no k and is refused before anything trains.
/// </remarks>
public sealed class SelfSlimmingProcedure : IReproductionProcedure
{
    /// <summary>The procedure's name in reproduction files.</summary>
    public const string Name = "self-slimming";

    /// <summary>The claim's measure: L(k = E/4) − L(k = E), nats; lower = slims more gracefully.</summary>
    public const string Metric = "slimming_loss_increase";

    /// <summary>The metric holding the validation loss at inference k = <paramref name="k"/>.</summary>
    public static string LossAt(int k) => string.Create(CultureInfo.InvariantCulture, $"val_loss_k{k}");

    /// <summary>The inference k evaluated for <paramref name="experts"/> experts, ascending: the powers of two below E, <see cref="Quarter"/> and E.</summary>
    /// <exception cref="ArgumentOutOfRangeException">E &lt; 1.</exception>
    public static IReadOnlyList<int> Ks(int experts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(experts, 1);
        var ks = new SortedSet<int> { Quarter(experts), experts };
        for (int k = 1; k < experts; k *= 2) ks.Add(k);
        return [.. ks];
    }

    /// <summary>E/4 (at least 1): the slimmed k of <see cref="Metric"/>.</summary>
    public static int Quarter(int experts) => Math.Max(1, experts / 4);

    /// <summary>
    /// <paramref name="run"/> with its router evaluating <paramref name="k"/> experts per token (<c>eval_k</c> where the
    /// router has one, else <c>k</c>).
    /// </summary>
    /// <exception cref="InvalidRecipeException">The recipe has no catalog router (dense control) or its router has no k.</exception>
    public static Recipe WithK(Recipe run, int k)
    {
        ArgumentNullException.ThrowIfNull(run);
        string router = run.Router ?? throw new InvalidRecipeException("procedure", 0,
            $"'{Name}' evaluates each arm at several k, so every arm needs a catalog router with a k; '{run.Name}' has none (the dense control?)");
        IReadOnlyList<RouterOption> options = RouterCatalog.Get(router).Options;
        string key = options.Any(o => o.Name == "eval_k") ? "eval_k" : options.Any(o => o.Name == "k") ? "k"
            : throw new InvalidRecipeException("procedure", 0, $"'{Name}' evaluates each arm at several k, but router '{router}' has neither an 'eval_k' nor a 'k' option");
        JsonObject o = run.RouterOptions is { ValueKind: JsonValueKind.Object } json ? JsonNode.Parse(json.GetRawText())!.AsObject() : [];
        o[key] = k;
        using var doc = JsonDocument.Parse(o.ToJsonString());
        return run with { RouterOptions = doc.RootElement.Clone() };
    }

    /// <inheritdoc/>
    public IReadOnlyList<ComparisonRow> Run(Reproduction reproduction, IReadOnlyList<ComparisonArm> arms, int seeds, string directory,
        TrainOptions? options, Action<string, ulong, int, int>? started, IProgress<TrainStep>? progress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(reproduction);
        ArgumentNullException.ThrowIfNull(arms);
        foreach (ComparisonArm arm in arms) WithK(arm.Recipe, 1); // an arm without a k fails before the first run
        return RouterComparison.Run(reproduction.Recipe, arms, seeds, directory, options, started, progress, cancel, Measure);
    }

    static IReadOnlyDictionary<string, double> Measure(ComparisonArm arm, Recipe run, TrainResult result)
    {
        int experts = run.Model.NumExperts;
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (int k in Ks(experts))
            metrics[LossAt(k)] = Trainer.Evaluate(result.RunDirectory, WithK(run, k)).Loss;
        metrics[Metric] = metrics[LossAt(Quarter(experts))] - metrics[LossAt(experts)];
        return metrics;
    }
}
