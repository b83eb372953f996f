using System.Text.Json;
using Switchyard.Formats;
using Switchyard.Models;
using Switchyard.Routing.Catalog;

namespace Switchyard.Training;

/// <summary>
/// Trains the same recipe with several routers and seeds (same data, steps and everything else)
/// and tabulates the results; writes <c>compare.json</c> into the comparison directory, each run
/// into <c>&lt;router&gt;-seed&lt;s&gt;/</c> beside it.
/// </summary>
public static class RouterComparison
{
    /// <summary>
    /// Measures one finished run (its arm, the run's own recipe with seed and directory, and its result): name → value,
    /// collected per seed into <see cref="ComparisonRow.Metrics"/>. A reproduction uses it for claims that are not a loss.
    /// </summary>
    public delegate IReadOnlyDictionary<string, double> RunMeasure(ComparisonArm arm, Recipe run, TrainResult result);

    /// <summary>The results file inside the comparison directory.</summary>
    public const string ResultsFile = "compare.json";

    /// <summary>
    /// The pseudo-router name of the dense control (shared/specs/baselines.md §9): the recipe's
    /// model as <see cref="ModelConfig.DenseControl"/>, same steps, data and seeds. Not a catalog
    /// router: it replaces the MoE blocks rather than routing them.
    /// </summary>
    public const string Dense = "dense";

    /// <summary>Prefix that names an MoE block kind (<see cref="MoeBlockCatalog"/>) where a router is expected, e.g. <c>block:chain</c>.</summary>
    public const string BlockPrefix = "block:";

    /// <summary>
    /// The recipe with <paramref name="router"/> for every MoE layer: a catalog name (its options kept
    /// when it is already the recipe's router, per-layer overrides dropped), <see cref="Dense"/> for
    /// the dense control of equal active parameters, or an MoE block kind — <c>block:NAME</c>, or a bare
    /// NAME that is not also a router — which builds the MoE layers as that block (default options) with
    /// the recipe's router, so methods that are blocks (Chain-of-Experts, FiLM, ternary, …) compare by name too.
    /// </summary>
    /// <exception cref="InvalidRecipeException">The name is neither a catalog router, a block kind nor <c>dense</c>, or <c>dense</c> or a block is asked of a model with no MoE layer.</exception>
    public static Recipe ForRouter(Recipe recipe, string router, string flag = "--router")
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(router);
        if (router == Dense)
        {
            if (!recipe.Model.IsMoe) throw new InvalidRecipeException(flag, 0, "'dense' needs an MoE model to take the dense control of; this recipe's model has no MoE layer");
            return recipe with { Model = recipe.Model.DenseControl(), Router = null, RouterOptions = null, RouterLayers = [] };
        }
        string? block = router.StartsWith(BlockPrefix, StringComparison.Ordinal) ? router[BlockPrefix.Length..]
            : RouterCatalog.Names.Contains(router) ? null : MoeBlockCatalog.Names.Contains(router) ? router : null;
        if (block is not null)
        {
            if (!MoeBlockCatalog.Names.Contains(block))
                throw new InvalidRecipeException(flag, 0, $"unknown block kind '{block}' (known: {string.Join(", ", MoeBlockCatalog.Names)})");
            if (!recipe.Model.IsMoe) throw new InvalidRecipeException(flag, 0, $"'{router}' needs an MoE model to build its MoE layers as '{block}'; this recipe's model has no MoE layer");
            var ext = (recipe.Model.Switchyard ?? new SwitchyardOptions()) with { Block = block, BlockOptions = null };
            return recipe with { Model = recipe.Model with { Switchyard = ext } };
        }
        if (!RouterCatalog.Names.Contains(router))
            throw new InvalidRecipeException(flag, 0, $"unknown router '{router}' (known: {string.Join(", ", RouterCatalog.Names)}; or '{Dense}' for the dense control; or an MoE block kind: {string.Join(", ", MoeBlockCatalog.Names)})");
        return recipe with { Router = router, RouterOptions = router == recipe.Router ? recipe.RouterOptions : null, RouterLayers = [] };
    }

    /// <summary>Each MoE row against the <see cref="Dense"/> row (empty when there is none).</summary>
    public static IReadOnlyList<DenseVerdict> VersusDense(IReadOnlyList<ComparisonRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ComparisonRow? dense = rows.FirstOrDefault(r => r.IsDense);
        if (dense is null) return [];
        return [.. rows.Where(r => !r.IsDense).Select(r => new DenseVerdict(r.Router, r.ValLossMean, r.ValLossStd, dense.ValLossMean, dense.ValLossStd, Math.Min(r.Seeds, dense.Seeds)))];
    }

    /// <summary>Forward FLOPs per token of a model's dense SwiGLU FFNs (3 matrices of d × width each).</summary>
    static double DenseFfnFlopsPerToken(ModelConfig model)
    {
        double flops = 0;
        for (int i = 0; i < model.NumHiddenLayers; i++)
            if (model.LayerKind(i) == FeedForwardKind.Dense) flops += 2.0 * 3 * model.HiddenSize * model.IntermediateSize;
        return flops;
    }

    /// <summary>Runs every router × seed (seeds <c>recipe.Seed</c>, +1, …) into <paramref name="directory"/> (created; must be absent or empty).</summary>
    /// <remarks><paramref name="started"/> is called before each run with (router, seed, index, total); <paramref name="progress"/> gets every run's steps.</remarks>
    /// <remarks>A router may be <see cref="Dense"/>: the dense control (<see cref="ForRouter"/>).</remarks>
    /// <exception cref="InvalidRecipeException">A router name is unknown, seeds &lt; 1, or the directory is not empty.</exception>
    public static IReadOnlyList<ComparisonRow> Run(Recipe recipe, IReadOnlyList<string> routers, int seeds, string directory,
        TrainOptions? options = null, Action<string, ulong, int, int>? started = null, IProgress<TrainStep>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(routers);
        if (routers.Count == 0) throw new InvalidRecipeException("--routers", 0, "needs at least one router");
        // Every name fails before any run starts.
        ComparisonArm[] arms = [.. routers.Select(r => new ComparisonArm(r, ForRouter(recipe, r, "--routers")))];
        return Run(recipe, arms, seeds, directory, options, started, progress, cancel);
    }

    /// <summary>
    /// Runs every arm × seed (seeds <c>arm.Recipe.Seed</c>, +1, …) into <paramref name="directory"/>
    /// (created; must be absent or empty), each run into <c>&lt;label&gt;-seed&lt;s&gt;/</c>: arms may differ in
    /// router options or model, not just the router name (<c>switchyard reproduce</c>). An arm labelled
    /// <see cref="Dense"/> is reported as the dense control. <paramref name="recipe"/> names the comparison in <c>compare.json</c>.
    /// </summary>
    /// <exception cref="InvalidRecipeException">No arm, seeds &lt; 1, or the directory is not empty.</exception>
    /// <remarks>
    /// An arm whose recipe starts from <c>"init": { "from": "arm:LABEL" }</c> starts from the same seed's run of arm LABEL,
    /// which therefore runs first (rows keep the arms' order). <paramref name="measure"/>, when given, runs after each run.
    /// </remarks>
    public static IReadOnlyList<ComparisonRow> Run(Recipe recipe, IReadOnlyList<ComparisonArm> arms, int seeds, string directory,
        TrainOptions? options = null, Action<string, ulong, int, int>? started = null, IProgress<TrainStep>? progress = null, CancellationToken cancel = default,
        RunMeasure? measure = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(arms);
        if (arms.Count == 0) throw new InvalidRecipeException("--routers", 0, "needs at least one router");
        if (seeds < 1) throw new InvalidRecipeException("--seeds", 0, $"must be a positive integer, found {seeds}");
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
            throw new InvalidRecipeException("out", 0, $"'{directory}' exists and is not empty");
        Directory.CreateDirectory(directory);

        var rowsByLabel = new Dictionary<string, ComparisonRow>(StringComparer.Ordinal);
        int index = 0, total = arms.Count * seeds;
        foreach (var arm in RunOrder(arms))
        {
            var (router, routed) = arm;
            var results = new List<TrainResult>();
            var curves = new List<CurveRecorder>();
            var metrics = new Dictionary<string, List<double>>(StringComparer.Ordinal);
            for (int s = 0; s < seeds && !cancel.IsCancellationRequested; s++)
            {
                ulong seed = routed.Seed + (ulong)s;
                started?.Invoke(router, seed, index++, total);
                var r = routed with { Seed = seed, Name = $"{router}-seed{seed}", Out = Path.Combine(directory, $"{router}-seed{seed}") };
                if (r.Init?.FromArm is { } from) r = r with { Init = r.Init with { From = Path.Combine(directory, $"{from}-seed{seed}") } };
                var curve = new CurveRecorder(progress);
                TrainResult result = Trainer.Run(r, options, curve, cancel);
                results.Add(result);
                curves.Add(curve);
                if (measure is not null)
                    foreach (var (name, value) in measure(arm, r, result))
                        (metrics.TryGetValue(name, out var list) ? list : metrics[name] = []).Add(value);
            }
            if (results.Count == 0) break;
            double[] losses = [.. results.Select(x => x.Validation?.Loss ?? double.NaN)];
            double mean = losses.Average();
            double std = losses.Length < 2 ? 0 : Math.Sqrt(losses.Sum(l => (l - mean) * (l - mean)) / (losses.Length - 1));
            static double Mean(IEnumerable<double> xs) => xs.DefaultIfEmpty(0).Average();
            bool dense = router == Dense;
            rowsByLabel[router] = new ComparisonRow(router, results.Count, mean, std,
                dense ? double.NaN : Mean(results.Select(x => Mean(x.Layers.Select(l => (double)l.ExpertsPerToken)))),
                dense ? DenseFfnFlopsPerToken(routed.Model) : Mean(results.Select(x => x.Layers.Sum(l => l.FlopsPerToken))),
                Mean(results.Select(x => Mean(x.Layers.Select(l => (double)l.LoadCv)))),
                Mean(results.Select(x => Mean(x.Layers.Select(l => (double)l.DroppedFraction)))),
                Mean(results.Select(x => x.TokensPerSecond)),
                [.. results.Select(x => x.RunDirectory)], CurveRecorder.MeanTrain(curves), CurveRecorder.MeanValidation(curves))
            {
                ValLosses = losses,
                Metrics = metrics.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<double>)kv.Value, StringComparer.Ordinal),
            };
        }
        List<ComparisonRow> rows = [.. arms.Where(a => rowsByLabel.ContainsKey(a.Label)).Select(a => rowsByLabel[a.Label])];
        Write(Path.Combine(directory, ResultsFile), recipe, rows);
        return rows;
    }

    // Arms in declaration order, except that an arm another one starts from (init.from = arm:LABEL) runs before it.
    static IReadOnlyList<ComparisonArm> RunOrder(IReadOnlyList<ComparisonArm> arms)
    {
        var byLabel = new Dictionary<string, ComparisonArm>(StringComparer.Ordinal);
        foreach (var a in arms)
            if (!byLabel.TryAdd(a.Label, a)) throw new InvalidRecipeException("arms", 0, $"two arms are labelled '{a.Label}'");
        var order = new List<ComparisonArm>();
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false = visiting, true = placed
        void Visit(ComparisonArm a)
        {
            if (state.TryGetValue(a.Label, out bool placed))
            {
                if (!placed) throw new InvalidRecipeException("init.from", 0, $"arm '{a.Label}' starts from itself through a cycle of 'arm:' references");
                return;
            }
            state[a.Label] = false;
            if (a.Recipe.Init?.FromArm is { } from)
                Visit(byLabel.TryGetValue(from, out var dep) ? dep
                    : throw new InvalidRecipeException("init.from", 0, $"arm '{a.Label}' starts from 'arm:{from}', but the arms are {string.Join(", ", byLabel.Keys)}"));
            state[a.Label] = true;
            order.Add(a);
        }
        foreach (var a in arms) Visit(a);
        return order;
    }

    static void Write(string path, Recipe recipe, IReadOnlyList<ComparisonRow> rows)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("recipe", recipe.Name);
            w.WriteNumber("steps", recipe.Steps);
            w.WriteStartArray("routers");
            foreach (var r in rows)
            {
                w.WriteStartObject();
                w.WriteString("router", r.Router);
                w.WriteNumber("seeds", r.Seeds);
                w.WriteNumber("val_loss_mean", r.ValLossMean);
                w.WriteNumber("val_loss_std", r.ValLossStd);
                w.WriteStartArray("val_losses");
                foreach (double l in r.ValLosses) w.WriteNumberValue(l);
                w.WriteEndArray();
                if (r.IsDense) w.WriteNull("experts_per_token"); else w.WriteNumber("experts_per_token", r.ExpertsPerToken);
                w.WriteNumber("expert_flops_per_token", r.ExpertFlopsPerToken);
                // The dense control routes nothing: null rather than a 0 that reads as "perfectly balanced".
                if (r.IsDense) { w.WriteNull("load_cv"); w.WriteNull("dropped"); }
                else { w.WriteNumber("load_cv", r.LoadCv); w.WriteNumber("dropped", r.DroppedFraction); }
                w.WriteNumber("tokens_per_s", r.TokensPerSecond);
                if (r.Metrics.Count > 0)
                {
                    w.WriteStartObject("metrics");
                    foreach (var (name, values) in r.Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    {
                        w.WriteStartObject(name);
                        w.WriteNumber("mean", values.Average());
                        w.WriteStartArray("values");
                        foreach (double v in values) w.WriteNumberValue(v);
                        w.WriteEndArray();
                        w.WriteEndObject();
                    }
                    w.WriteEndObject();
                }
                w.WriteStartArray("runs");
                foreach (string d in r.RunDirectories) w.WriteStringValue(d);
                w.WriteEndArray();
                w.WriteStartArray("validation_curve");
                foreach (var (step, loss) in r.ValidationCurve)
                {
                    w.WriteStartObject();
                    w.WriteNumber("step", step);
                    w.WriteNumber("loss", loss);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("versus_dense");
            foreach (var v in VersusDense(rows))
            {
                w.WriteStartObject();
                w.WriteString("router", v.Router);
                w.WriteNumber("moe_val_loss_mean", v.MoeMean);
                w.WriteNumber("moe_val_loss_std", v.MoeStd);
                w.WriteNumber("dense_val_loss_mean", v.DenseMean);
                w.WriteNumber("dense_val_loss_std", v.DenseStd);
                w.WriteNumber("difference", v.Difference);
                // Same seed = same data order: MoE − dense per seed, the comparison the shared spread does not blur.
                PairedDifference paired = PairedDifference.Of(rows.First(x => x.Router == v.Router), rows.First(x => x.IsDense));
                if (paired.Count == 0) w.WriteNull("paired_mean"); else w.WriteNumber("paired_mean", paired.Mean);
                w.WriteNumber("paired_std", paired.Std);
                w.WriteNumber("paired_seeds", paired.Count);
                w.WriteNumber("seeds_favouring_moe", paired.SeedsFavouringMethod);
                if (double.IsNaN(v.Sigmas)) w.WriteNull("sigmas"); else w.WriteNumber("sigmas", v.Sigmas);
                w.WriteBoolean("moe_better", v.MoeBetter);
                w.WriteBoolean("beyond_2_sigma", v.Significant);
                w.WriteString("verdict", v.ToString());
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(path, stream.ToArray());
    }
}
