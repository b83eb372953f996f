using System.CommandLine;
using Spectre.Console;
using Switchyard.Reports;
using Switchyard.Training;

namespace Switchyard.Cli.Commands;

/// <summary>
/// <c>switchyard reproduce NAME</c>: runs a paper's small experiment (<c>data/recipes/reproduce-NAME.json</c>)
/// against its baseline at equal steps and seeds, and prints the claim beside the measured mean ± std and a verdict.
/// </summary>
internal static class ReproduceCommand
{
    public static Command Create(IAnsiConsole console, CancellationToken cancel)
    {
        var name = new Argument<string>("name") { Description = "Reproduction name (data/recipes/reproduce-<name>.json), e.g. top-p, adamoe, smoe-dropout, rmoe, thor." };
        var seeds = TrainCommand.Int("--seeds", "Seeds per arm (default: the file's, 3).");
        var steps = TrainCommand.Int("--steps", "Optimizer steps per run (default: the file's recipe).");
        var threads = TrainCommand.Int("--threads", "Kernel threads (default: the file's recipe, else all cores).");
        var recipes = new Option<DirectoryInfo?>("--recipes") { Description = "Directory of reproduce-*.json (default: data/recipes in this or a parent directory)." };
        var output = new Option<string?>("--out") { Description = "Run folder (default runs/reproduce-<name>, suffixed if it exists)." };
        var command = new Command("reproduce", "Re-measure a paper's claim: its method vs the baseline at equal steps, ≥ 3 seeds; table, plot and results JSON.")
        {
            name, seeds, steps, threads, recipes, output,
        };
        command.SetAction(parse =>
        {
            string dir = parse.GetValue(recipes)?.FullName ?? Reproduction.FindRecipesDirectory()
                ?? throw new InvalidRecipeException("--recipes", 0, "no data/recipes directory here or in a parent; pass --recipes DIR");
            Reproduction rep = Reproduction.Load(parse.GetValue(name)!, dir);
            Recipe r = rep.Recipe;
            if (parse.GetValue(steps) is { } s)
                r = s > 0 ? r with { Steps = s, WarmupSteps = Math.Min(r.WarmupSteps, s / 10), EvalInterval = Math.Min(r.EvalInterval, s) }
                    : throw new InvalidRecipeException("--steps", 0, $"must be a positive integer, found {s}");
            if (parse.GetValue(threads) is { } t) r = t >= 0 ? r with { Threads = t } : throw new InvalidRecipeException("--threads", 0, $"must be a non-negative integer, found {t}");
            int n = parse.GetValue(seeds) ?? rep.Seeds;
            if (n < 1) throw new InvalidRecipeException("--seeds", 0, $"must be a positive integer, found {n}");
            rep = rep with { Recipe = r };
            string folder = parse.GetValue(output) ?? NextFree(Path.Combine("runs", "reproduce-" + rep.Name));

            ReproductionResult? result = null;
            console.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    ProgressTask? task = null;
                    string title = "";
                    result = rep.Run(n, folder, null,
                        (router, seed, i, total) => { task?.StopTask(); title = $"[{i + 1}/{total}] {router} seed {seed}"; task = ctx.AddTask(Markup.Escape(title), maxValue: r.Steps); },
                        new SyncProgress<TrainStep>(p =>
                        {
                            task!.Value = p.Step;
                            task.Description = Markup.Escape($"{title} step {p.Step}/{p.TotalSteps} loss {p.Loss:F3}");
                        }), cancel);
                    task?.StopTask();
                });
            var res = result!;
            var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{rep.Name}: {r.Steps} steps, {n} seeds"))
                .AddColumn("arm").AddColumn(new TableColumn("val loss").RightAligned()).AddColumn(new TableColumn("experts/tok").RightAligned())
                .AddColumn(new TableColumn("FFN MFLOP/tok").RightAligned());
            ComparisonRow[] rows = [res.Method, res.Baseline, .. res.Ablations];
            string[] metrics = [.. rows.SelectMany(x => x.Metrics.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
            foreach (string m in metrics) table.AddColumn(new TableColumn(Markup.Escape(m)).RightAligned());
            foreach (var row in rows)
                table.AddRow([Markup.Escape(row.Router), $"{row.ValLossMean:F4} ± {row.ValLossStd:F4}",
                    row.IsDense ? "—" : $"{row.ExpertsPerToken:F2}", $"{row.ExpertFlopsPerToken / 1e6:F2}",
                    .. metrics.Select(m => double.IsNaN(row.MetricMean(m)) ? "—" : row.MetricMean(m).ToString("G4", System.Globalization.CultureInfo.InvariantCulture))]);
            console.Write(table);
            console.MarkupLine($"paper:    {Markup.Escape($"{rep.Paper} (arXiv {rep.ArXiv})")}");
            console.MarkupLine($"claim:    {Markup.Escape(rep.Claim)}");
            console.MarkupLine($"measured: {Markup.Escape(res.MeasuredText)}");
            console.MarkupLine($"verdict:  {Markup.Escape(res.VerdictText)}");
            console.MarkupLine($"results:  {Markup.Escape(Path.Combine(folder, ReproductionResult.ResultsFile))}");
            console.MarkupLine($"plot:     {Markup.Escape(ComparisonPlot.Write(folder, rows, r.Steps))}");
            return 0;
        });
        return command;
    }

    static string NextFree(string baseDir)
    {
        string dir = baseDir;
        for (int i = 2; Directory.Exists(dir); i++) dir = $"{baseDir}-{i}";
        return dir;
    }
}
