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
///   "ablations": [ { "name": "top-k", "label": "top-1", "options": { "k": 1 } } ],   // more arms, reported (optional)
///   "procedure": "…", "metric": { "name": "…", "better": "lower" }, // measured claims (optional)
///   "seeds": 3, "recipe": { …fields of a recipe, over the default… } }
/// </code>
/// Each arm may carry a <c>"label"</c> and a <c>"recipe"</c> patch of its own (<see cref="ReproductionArm"/>); an arm's
/// recipe may start from another arm's run with <c>"init": { "from": "arm:LABEL", "conversion": … }</c>.
/// <code>
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

    /// <summary>The method's arm.</summary>
    public required ReproductionArm Method { get; init; }

    /// <summary>The baseline's arm (a router, or <see cref="RouterComparison.Dense"/>).</summary>
    public required ReproductionArm Baseline { get; init; }

    /// <summary>Further arms trained and reported beside the two (ablations, or a stage other arms start from), not judged.</summary>
    public IReadOnlyList<ReproductionArm> Ablations { get; init; } = [];

    /// <summary>The procedure that runs the arms (<see cref="ReproductionProcedures"/>), or null to train them side by side.</summary>
    public string? Procedure { get; init; }

    /// <summary>The measure the claim is about besides the loss, or null when the claim is about the loss.</summary>
    public ReproductionMetric? Metric { get; init; }

    /// <summary>The claim's cost part: the method keeps at most this many experts per token on average; null = none.</summary>
    public double? MaxExpertsPerToken { get; init; }

    /// <summary>Seeds per arm (the file's default; <c>--seeds</c> overrides).</summary>
    public int Seeds { get; init; } = 3;

    /// <summary>
    /// The arms, method first, then the baseline and the ablations; labels are the arms' own or their router names
    /// (the method's suffixed with <c>-method</c> when it would equal the baseline's).
    /// </summary>
    /// <exception cref="InvalidRecipeException">An arm's recipe patch is invalid.</exception>
    public IReadOnlyList<ComparisonArm> Arms()
    {
        string baseline = Baseline.Label ?? Baseline.Router;
        string method = Method.Label ?? (Method.Router == baseline ? Method.Router + "-method" : Method.Router);
        var arms = new List<ComparisonArm> { new(method, Method.Resolve(Recipe, Name + " (method)")), new(baseline, Baseline.Resolve(Recipe, Name + " (baseline)")) };
        foreach (var a in Ablations) arms.Add(new ComparisonArm(a.Label ?? a.Router, a.Resolve(Recipe, $"{Name} (ablation {a.Label ?? a.Router})")));
        return arms;
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
            ReproductionArm ArmOf(JsonElement v, string field)
            {
                if (v.ValueKind != JsonValueKind.Object || !v.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String)
                    throw new InvalidRecipeException(source, 0, $"'{field}' must be an object with a 'name' (a router, or 'dense')");
                foreach (var p in v.EnumerateObject())
                    if (p.Name is not ("name" or "options" or "consistency" or "label" or "recipe"))
                        throw new InvalidRecipeException(source, 0, $"'{field}.{p.Name}' is not a field of an arm (known: name, options, consistency, label, recipe)");
                string router = n.GetString()!;
                if (router != RouterComparison.Dense && !RouterCatalog.Names.Contains(router))
                    throw new InvalidRecipeException(source, 0, $"'{field}.name': unknown router '{router}' (known: {string.Join(", ", RouterCatalog.Names)}; or 'dense')");
                JsonElement? options = v.TryGetProperty("options", out var o) ? o.Clone() : null;
                if (options is { } json && router != RouterComparison.Dense) RouterCatalog.Get(router).ParseOptions(json); // bad options fail here
                double consistency = 0;
                if (v.TryGetProperty("consistency", out var c))
                    consistency = c.ValueKind == JsonValueKind.Object && c.TryGetProperty("alpha", out var a) && a.ValueKind == JsonValueKind.Number && a.GetDouble() >= 0
                        ? a.GetDouble() : throw new InvalidRecipeException(source, 0, $"'{field}.consistency' must be an object {{ \"alpha\": a non-negative number }}");
                string? label = null;
                if (v.TryGetProperty("label", out var l))
                    label = l.ValueKind == JsonValueKind.String && l.GetString() is { Length: > 0 } ls && ls.IndexOfAny(Path.GetInvalidFileNameChars()) < 0
                        ? ls : throw new InvalidRecipeException(source, 0, $"'{field}.label' must be a non-empty string usable as a folder name");
                string? patch = null;
                if (v.TryGetProperty("recipe", out var r))
                    patch = r.ValueKind == JsonValueKind.Object ? r.GetRawText() : throw new InvalidRecipeException(source, 0, $"'{field}.recipe' must be an object (recipe fields over the reproduction's recipe)");
                return new ReproductionArm(router, options, consistency, label, patch);
            }
            ReproductionArm RouterOf(string field) => root.TryGetProperty(field, out var v) ? ArmOf(v, field)
                : throw new InvalidRecipeException(source, 0, $"'{field}' must be an object with a 'name' (a router, or 'dense')");
            var method = RouterOf("method");
            var baseline = RouterOf("baseline");
            var ablations = new List<ReproductionArm>();
            if (root.TryGetProperty("ablations", out var abl))
            {
                if (abl.ValueKind != JsonValueKind.Array) throw new InvalidRecipeException(source, 0, "'ablations' must be an array of arms");
                int i = 0;
                foreach (var a in abl.EnumerateArray()) ablations.Add(ArmOf(a, $"ablations[{i++}]"));
            }
            string? procedure = null;
            if (root.TryGetProperty("procedure", out var proc))
                procedure = proc.ValueKind == JsonValueKind.String && ReproductionProcedures.Find(proc.GetString()!) is not null ? proc.GetString()
                    : throw new InvalidRecipeException(source, 0, $"'procedure' must be one of {string.Join(", ", ReproductionProcedures.Names.Select(x => $"\"{x}\""))}, found {proc.GetRawText()}");
            ReproductionMetric? metric = null;
            if (root.TryGetProperty("metric", out var met))
                metric = met.ValueKind == JsonValueKind.Object && met.TryGetProperty("name", out var mn) && mn.ValueKind == JsonValueKind.String && mn.GetString() is { Length: > 0 } metricName
                    && met.TryGetProperty("better", out var mb) && mb.ValueKind == JsonValueKind.String && mb.GetString() is "lower" or "higher"
                    ? new ReproductionMetric(metricName, mb.GetString() == "higher")
                    : throw new InvalidRecipeException(source, 0, "'metric' must be an object { \"name\": a metric name, \"better\": \"lower\" or \"higher\" }");
            Recipe recipe = root.TryGetProperty("recipe", out var rr) && rr.ValueKind == JsonValueKind.Object
                ? RecipeJson.Parse(rr.GetRawText(), source + " (recipe)")
                : throw new InvalidRecipeException(source, 0, "'recipe' must be an object (recipe fields over the default recipe)");
            double? max = root.TryGetProperty("max_experts_per_token", out var m)
                ? m.ValueKind == JsonValueKind.Number ? m.GetDouble() : throw new InvalidRecipeException(source, 0, "'max_experts_per_token' must be a number")
                : null;
            int seeds = root.TryGetProperty("seeds", out var s)
                ? s.ValueKind == JsonValueKind.Number && s.TryGetInt32(out int si) && si >= 1 ? si : throw new InvalidRecipeException(source, 0, "'seeds' must be a positive integer")
                : 3;
            var rep = new Reproduction
            {
                Name = Text("name"), Paper = Text("paper"), ArXiv = Text("arxiv"), Claim = Text("claim"), Recipe = recipe,
                Method = method, Baseline = baseline, Ablations = ablations, Procedure = procedure, Metric = metric,
                MaxExpertsPerToken = max, Seeds = seeds,
            };
            rep.Arms(); // bad recipe patches and duplicate labels fail at load, not after the first run
            if (rep.Arms().Select(a => a.Label).Distinct(StringComparer.Ordinal).Count() != 2 + ablations.Count)
                throw new InvalidRecipeException(source, 0, "two arms have the same label; give one a 'label'");
            return rep;
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
        Recipe named = Recipe with { Name = "reproduce-" + Name };
        IReadOnlyList<ComparisonRow> rows = Procedure is null
            ? RouterComparison.Run(named, Arms(), seeds, directory, options, started, progress, cancel)
            : ReproductionProcedures.Find(Procedure)!.Run(this with { Recipe = named }, Arms(), seeds, directory, options, started, progress, cancel);
        if (rows.Count < 2) throw new OperationCanceledException("the reproduction was cancelled before both arms ran", cancel);
        var result = new ReproductionResult(this, rows[0], rows[1], directory) { Ablations = [.. rows.Skip(2)] };
        result.Write();
        return result;
    }
}
