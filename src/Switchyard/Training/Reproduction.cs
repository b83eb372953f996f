using System.Text.Json;
using Switchyard.Routing.Catalog;

namespace Switchyard.Training;

/// <summary>
/// A paper's claim as a small experiment (<c>switchyard reproduce NAME</c>): a recipe, the method's
/// router (with options) and a baseline at equal steps, seeds, and the claim's text and checkable
/// parts. Read from <c>data/recipes/reproduce-&lt;name&gt;.json</c>:
/// <code>
/// { "name": "top-p", "paper": "…", "arxiv": "2403.07652", "claim": "…",
///   "method": { "name": "top-p", "options": { "p": 0.4 } },
///   "baseline": { "name": "top-k", "options": { "k": 2 } },      // or { "name": "dense" }
///   "max_experts_per_token": 2.0,                                  // the claim's cost part (optional)
///   "seeds": 3, "recipe": { …fields of a recipe, over the default… } }
/// </code>
/// </summary>
public sealed record Reproduction
{
    /// <summary>File name prefix of reproduction files in the recipes directory.</summary>
    public const string FilePrefix = "reproduce-";

    /// <summary>The name (<c>reproduce-&lt;name&gt;.json</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Paper title.</summary>
    public required string Paper { get; init; }

    /// <summary>arXiv id.</summary>
    public required string ArXiv { get; init; }

    /// <summary>The paper's claim, as tested here.</summary>
    public required string Claim { get; init; }

    /// <summary>The shared recipe (model, data, steps, optimizer).</summary>
    public required Recipe Recipe { get; init; }

    /// <summary>The method's router name.</summary>
    public required string MethodRouter { get; init; }

    /// <summary>The method's router options, or null for its defaults.</summary>
    public JsonElement? MethodOptions { get; init; }

    /// <summary>The baseline's router name, or <see cref="RouterComparison.Dense"/>.</summary>
    public required string BaselineRouter { get; init; }

    /// <summary>The baseline's router options, or null for its defaults.</summary>
    public JsonElement? BaselineOptions { get; init; }

    /// <summary>The method arm's multi-pass consistency coefficient (<see cref="Recipe.ConsistencyAlpha"/>; THOR), from <c>"method": { …, "consistency": { "alpha": 1 } }</c>; 0 = the recipe's.</summary>
    public double MethodConsistencyAlpha { get; init; }

    /// <summary>The baseline arm's consistency coefficient; 0 = the recipe's.</summary>
    public double BaselineConsistencyAlpha { get; init; }

    /// <summary>The claim's cost part: the method keeps at most this many experts per token on average; null = none.</summary>
    public double? MaxExpertsPerToken { get; init; }

    /// <summary>Seeds per arm (the file's default; <c>--seeds</c> overrides).</summary>
    public int Seeds { get; init; } = 3;

    /// <summary>The two arms, method first; their labels are the router names (the method's suffixed if both are the same router).</summary>
    public IReadOnlyList<ComparisonArm> Arms()
    {
        string methodLabel = MethodRouter == BaselineRouter ? MethodRouter + "-method" : MethodRouter;
        return [new ComparisonArm(methodLabel, Arm(MethodRouter, MethodOptions, MethodConsistencyAlpha)),
            new ComparisonArm(BaselineRouter, Arm(BaselineRouter, BaselineOptions, BaselineConsistencyAlpha))];
    }

    Recipe Arm(string router, JsonElement? options, double consistency)
    {
        Recipe r = router == RouterComparison.Dense ? RouterComparison.ForRouter(Recipe, router)
            : Recipe with { Router = router, RouterOptions = options, RouterLayers = [] };
        return consistency > 0 ? r with { ConsistencyAlpha = consistency } : r;
    }

    /// <summary>
    /// The recipes directory: <c>data/recipes</c> in the current directory or the nearest parent that
    /// has one, else beside the executable's parents; null when none is found.
    /// </summary>
    public static string? FindRecipesDirectory()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "data", "recipes");
                if (Directory.Exists(candidate)) return candidate;
            }
        return null;
    }

    /// <summary>The names of the reproductions in <paramref name="directory"/>, sorted.</summary>
    public static IReadOnlyList<string> Names(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory)) return [];
        return [.. Directory.EnumerateFiles(directory, FilePrefix + "*.json")
            .Select(f => Path.GetFileNameWithoutExtension(f)[FilePrefix.Length..]).Order(StringComparer.Ordinal)];
    }

    /// <summary>Loads reproduction <paramref name="name"/> from <paramref name="directory"/>.</summary>
    /// <exception cref="UnknownReproductionException">No such file; the message lists the valid names.</exception>
    /// <exception cref="InvalidRecipeException">The file is malformed or names an unknown router.</exception>
    public static Reproduction Load(string name, string directory)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(directory);
        string path = Path.Combine(directory, FilePrefix + name + ".json");
        if (name.Length == 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || !File.Exists(path))
            throw new UnknownReproductionException(name, Names(directory), directory);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses a reproduction file's JSON; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidRecipeException">A field is missing or of the wrong type, or a router is unknown.</exception>
    public static Reproduction Parse(string json, string source)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new InvalidRecipeException(source, (int)(e.LineNumber ?? 0) + 1, $"not valid JSON: {e.Message}"); }
        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidRecipeException(source, 0, "expected a JSON object");
            string Text(string field) => root.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String
                ? v.GetString()! : throw new InvalidRecipeException(source, 0, $"'{field}' must be a string");
            (string Name, JsonElement? Options, double Consistency) RouterOf(string field)
            {
                if (!root.TryGetProperty(field, out var v) || v.ValueKind != JsonValueKind.Object || !v.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String)
                    throw new InvalidRecipeException(source, 0, $"'{field}' must be an object with a 'name' (a router, or 'dense')");
                string router = n.GetString()!;
                if (router != RouterComparison.Dense && !RouterCatalog.Names.Contains(router))
                    throw new InvalidRecipeException(source, 0, $"'{field}.name': unknown router '{router}' (known: {string.Join(", ", RouterCatalog.Names)}; or 'dense')");
                JsonElement? options = v.TryGetProperty("options", out var o) ? o.Clone() : null;
                if (options is { } json && router != RouterComparison.Dense) RouterCatalog.Get(router).ParseOptions(json); // bad options fail here
                double consistency = 0;
                if (v.TryGetProperty("consistency", out var c))
                    consistency = c.ValueKind == JsonValueKind.Object && c.TryGetProperty("alpha", out var a) && a.ValueKind == JsonValueKind.Number && a.GetDouble() >= 0
                        ? a.GetDouble() : throw new InvalidRecipeException(source, 0, $"'{field}.consistency' must be an object {{ \"alpha\": a non-negative number }}");
                return (router, options, consistency);
            }
            var method = RouterOf("method");
            var baseline = RouterOf("baseline");
            Recipe recipe = root.TryGetProperty("recipe", out var r) && r.ValueKind == JsonValueKind.Object
                ? RecipeJson.Parse(r.GetRawText(), source + " (recipe)")
                : throw new InvalidRecipeException(source, 0, "'recipe' must be an object (recipe fields over the default recipe)");
            double? max = root.TryGetProperty("max_experts_per_token", out var m)
                ? m.ValueKind == JsonValueKind.Number ? m.GetDouble() : throw new InvalidRecipeException(source, 0, "'max_experts_per_token' must be a number")
                : null;
            int seeds = root.TryGetProperty("seeds", out var s)
                ? s.ValueKind == JsonValueKind.Number && s.TryGetInt32(out int si) && si >= 1 ? si : throw new InvalidRecipeException(source, 0, "'seeds' must be a positive integer")
                : 3;
            return new Reproduction
            {
                Name = Text("name"), Paper = Text("paper"), ArXiv = Text("arxiv"), Claim = Text("claim"), Recipe = recipe,
                MethodRouter = method.Name, MethodOptions = method.Options, BaselineRouter = baseline.Name, BaselineOptions = baseline.Options,
                MethodConsistencyAlpha = method.Consistency, BaselineConsistencyAlpha = baseline.Consistency,
                MaxExpertsPerToken = max, Seeds = seeds,
            };
        }
    }

    /// <summary>
    /// Trains both arms × <paramref name="seeds"/> into <paramref name="directory"/> (<see cref="RouterComparison"/>:
    /// same data, steps and seeds), writes <see cref="ReproductionResult.ResultsFile"/> and returns the outcome.
    /// </summary>
    /// <exception cref="InvalidRecipeException">seeds &lt; 1, or the directory is not empty.</exception>
    public ReproductionResult Run(int seeds, string directory, TrainOptions? options = null, Action<string, ulong, int, int>? started = null,
        IProgress<TrainStep>? progress = null, CancellationToken cancel = default)
    {
        IReadOnlyList<ComparisonRow> rows = RouterComparison.Run(Recipe with { Name = "reproduce-" + Name }, Arms(), seeds, directory, options, started, progress, cancel);
        if (rows.Count < 2) throw new OperationCanceledException("the reproduction was cancelled before both arms ran", cancel);
        var result = new ReproductionResult(this, rows[0], rows[1], directory);
        result.Write();
        return result;
    }
}
