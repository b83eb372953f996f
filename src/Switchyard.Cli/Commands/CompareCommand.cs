using System.CommandLine;
using Spectre.Console;
using Switchyard.Reports;
using Switchyard.Training;

namespace Switchyard.Cli.Commands;

/// <summary><c>switchyard compare</c>: one recipe, several routers × seeds, one table.</summary>
internal static class CompareCommand
{
    public static Command Create(IAnsiConsole console, CancellationToken cancel)
    {
        var routers = new Option<string>("--routers") { Description = "Comma-separated catalog routers, e.g. top-k,switch,hash; dense = the dense control of equal active parameters; an MoE block kind (chain, film, …, or block:NAME) builds the MoE layers as that block with the recipe's router.", Required = true };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per router (recipe seed, +1, ...).", DefaultValueFactory = _ => 1 };
        var recipe = new Option<FileInfo?>("--recipe") { Description = "Recipe JSON (default: the embedded recipe)." };
        var steps = TrainCommand.Int("--steps", "Optimizer steps per run (the same budget for every router).");
        var threads = TrainCommand.Int("--threads", "Kernel threads (default: all cores).");
        var output = new Option<string?>("--out") { Description = "Comparison directory (default runs/compare-<routers>)." };
        var command = new Command("compare", "Train the same recipe with several routers and seeds; tabulate validation loss, load and cost.")
        {
            routers, seeds, recipe, steps, threads, output,
        };
        command.SetAction(parse =>
        {
            Recipe r = parse.GetValue(recipe) is { } f ? RecipeJson.Load(f.FullName) : Recipe.Default;
            if (parse.GetValue(steps) is { } s)
                r = s > 0 ? r with { Steps = s, WarmupSteps = Math.Min(r.WarmupSteps, s / 10), EvalInterval = Math.Min(r.EvalInterval, s) }
                    : throw new InvalidRecipeException("--steps", 0, $"must be a positive integer, found {s}");
            if (parse.GetValue(threads) is { } t) r = t >= 0 ? r with { Threads = t } : throw new InvalidRecipeException("--threads", 0, $"must be a non-negative integer, found {t}");
            string[] names = parse.GetValue(routers)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            string dir = parse.GetValue(output) ?? NextFree(Path.Combine("runs", "compare-" + string.Join("-", names)));
            IReadOnlyList<ComparisonRow> rows = [];
            console.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    ProgressTask? task = null;
                    string title = "";
                    rows = RouterComparison.Run(r, names, parse.GetValue(seeds), dir, null,
                        (router, seed, i, n) => { task?.StopTask(); title = $"[{i + 1}/{n}] {router} seed {seed}"; task = ctx.AddTask(Markup.Escape(title), maxValue: r.Steps); },
                        new SyncProgress<TrainStep>(p =>
                        {
                            task!.Value = p.Step;
                            task.Description = Markup.Escape($"{title} step {p.Step}/{p.TotalSteps} loss {p.Loss:F3}");
                        }), cancel);
                    task?.StopTask();
                });
            var table = new Table().Border(TableBorder.Rounded).Title($"{r.Steps} steps per run").AddColumn("router")
                .AddColumn(new TableColumn("val loss").RightAligned()).AddColumn(new TableColumn("experts/tok").RightAligned())
                .AddColumn(new TableColumn("FFN MFLOP/tok").RightAligned()).AddColumn(new TableColumn("load CV").RightAligned())
                .AddColumn(new TableColumn("dropped").RightAligned()).AddColumn(new TableColumn("tok/s").RightAligned());
            foreach (var row in rows)
                table.AddRow(Markup.Escape(row.Router), row.Seeds > 1 ? $"{row.ValLossMean:F4} ± {row.ValLossStd:F4}" : $"{row.ValLossMean:F4}",
                    row.IsDense ? "—" : $"{row.ExpertsPerToken:F2}", $"{row.ExpertFlopsPerToken / 1e6:F2}",
                    row.IsDense ? "—" : $"{row.LoadCv:F3}", row.IsDense ? "—" : $"{100 * row.DroppedFraction:F1}%", $"{row.TokensPerSecond:F0}");
            console.Write(table);
            foreach (var verdict in RouterComparison.VersusDense(rows)) console.WriteLine(verdict.ToString());
            console.MarkupLine($"results: {Markup.Escape(Path.Combine(dir, RouterComparison.ResultsFile))}");
            if (rows.Count > 0) console.MarkupLine($"loss curves: {Markup.Escape(ComparisonPlot.Write(dir, rows, r.Steps))}");
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
