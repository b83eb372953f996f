using System.Text.Json;
using Switchyard.Formats;
using Switchyard.Routing.Catalog;

namespace Switchyard.Training;

/// <summary>
/// Trains the same recipe with several routers and seeds (same data, steps and everything else)
/// and tabulates the results; writes <c>compare.json</c> into the comparison directory, each run
/// into <c>&lt;router&gt;-seed&lt;s&gt;/</c> beside it.
/// </summary>
public static class RouterComparison
{
    /// <summary>The results file inside the comparison directory.</summary>
    public const string ResultsFile = "compare.json";

    /// <summary>Runs every router × seed (seeds <c>recipe.Seed</c>, +1, …) into <paramref name="directory"/> (created; must be absent or empty).</summary>
    /// <remarks><paramref name="started"/> is called before each run with (router, seed, index, total); <paramref name="progress"/> gets every run's steps.</remarks>
    /// <exception cref="InvalidRecipeException">A router name is unknown, seeds &lt; 1, or the directory is not empty.</exception>
    public static IReadOnlyList<ComparisonRow> Run(Recipe recipe, IReadOnlyList<string> routers, int seeds, string directory,
        TrainOptions? options = null, Action<string, ulong, int, int>? started = null, IProgress<TrainStep>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(routers);
        if (routers.Count == 0) throw new InvalidRecipeException("--routers", 0, "needs at least one router");
        if (seeds < 1) throw new InvalidRecipeException("--seeds", 0, $"must be a positive integer, found {seeds}");
        foreach (string r in routers)
            if (!RouterCatalog.Names.Contains(r))
                throw new InvalidRecipeException("--routers", 0, $"unknown router '{r}' (known: {string.Join(", ", RouterCatalog.Names)})");
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
            throw new InvalidRecipeException("out", 0, $"'{directory}' exists and is not empty");
        Directory.CreateDirectory(directory);

        var rows = new List<ComparisonRow>();
        int index = 0, total = routers.Count * seeds;
        foreach (string router in routers)
        {
            var results = new List<TrainResult>();
            for (int s = 0; s < seeds && !cancel.IsCancellationRequested; s++)
            {
                ulong seed = recipe.Seed + (ulong)s;
                started?.Invoke(router, seed, index++, total);
                var r = recipe with
                {
                    Router = router, RouterOptions = router == recipe.Router ? recipe.RouterOptions : null, RouterLayers = [],
                    Seed = seed, Name = $"{router}-seed{seed}", Out = Path.Combine(directory, $"{router}-seed{seed}"),
                };
                results.Add(Trainer.Run(r, options, progress, cancel));
            }
            if (results.Count == 0) break;
            double[] losses = [.. results.Select(x => x.Validation?.Loss ?? double.NaN)];
            double mean = losses.Average();
            double std = losses.Length < 2 ? 0 : Math.Sqrt(losses.Sum(l => (l - mean) * (l - mean)) / (losses.Length - 1));
            static double Mean(IEnumerable<double> xs) => xs.DefaultIfEmpty(0).Average();
            rows.Add(new ComparisonRow(router, results.Count, mean, std,
                Mean(results.Select(x => Mean(x.Layers.Select(l => (double)l.ExpertsPerToken)))),
                Mean(results.Select(x => x.Layers.Sum(l => l.FlopsPerToken))),
                Mean(results.Select(x => Mean(x.Layers.Select(l => (double)l.LoadCv)))),
                Mean(results.Select(x => Mean(x.Layers.Select(l => (double)l.DroppedFraction)))),
                Mean(results.Select(x => x.TokensPerSecond)),
                [.. results.Select(x => x.RunDirectory)]));
        }
        Write(Path.Combine(directory, ResultsFile), recipe, rows);
        return rows;
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
                w.WriteNumber("experts_per_token", r.ExpertsPerToken);
                w.WriteNumber("expert_flops_per_token", r.ExpertFlopsPerToken);
                w.WriteNumber("load_cv", r.LoadCv);
                w.WriteNumber("dropped", r.DroppedFraction);
                w.WriteNumber("tokens_per_s", r.TokensPerSecond);
                w.WriteStartArray("runs");
                foreach (string d in r.RunDirectories) w.WriteStringValue(d);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        AtomicFile.WriteAllBytes(path, stream.ToArray());
    }
}
