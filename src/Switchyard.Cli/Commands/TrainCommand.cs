using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Switchyard.Routing.Catalog;
using Switchyard.Training;

namespace Switchyard.Cli.Commands;

/// <summary><c>switchyard train</c>: runs a recipe (the embedded default without arguments), with live progress and summary tables.</summary>
internal static class TrainCommand
{
    public static Command Create(IAnsiConsole console, CancellationToken cancel)
    {
        var recipe = new Option<FileInfo?>("--recipe") { Description = "Recipe JSON; its fields override the embedded default recipe." };
        var steps = Int("--steps", "Optimizer steps.");
        var router = new Option<string?>("--router") { Description = "Router catalog name for every MoE layer (see `switchyard routers`), or dense for the dense control of equal active parameters." };
        var seed = new Option<long?>("--seed") { Description = "Seed of weights, data split, batch order and routing noise." };
        var output = new Option<string?>("--out") { Description = "Run directory (default runs/<name>, suffixed if it exists)." };
        var resume = new Option<DirectoryInfo?>("--resume") { Description = "Continue the run in this directory from its checkpoint (bit-identical)." };
        var threads = Int("--threads", "Kernel threads (default: all cores).");
        var lr = new Option<double?>("--lr") { Description = "Peak learning rate." };
        var batch = Int("--batch-size", "Sequences per step.");
        var evalInterval = Int("--eval-interval", "Evaluate every N steps (0 = only at the end).");
        var stopAfter = Int("--stop-after", "Stop with a checkpoint after this step (resume later with --resume).");
        var name = new Option<string?>("--name") { Description = "Run name." };
        var command = new Command("train", "Train a small MoE language model from a recipe (the embedded default without arguments).")
        {
            recipe, steps, router, seed, output, resume, threads, lr, batch, evalInterval, stopAfter, name,
        };
        command.SetAction(parse =>
        {
            int? stop = Positive(parse.GetValue(stopAfter), "--stop-after");
            var options = new TrainOptions { StopAfter = stop };
            TrainResult result;
            if (parse.GetValue(resume) is { } dir)
            {
                foreach (Option o in new Option[] { recipe, steps, router, seed, output, threads, lr, batch, evalInterval, name })
                    if (parse.GetResult(o) is not null)
                        throw new InvalidRecipeException(o.Name, 0, "cannot be combined with --resume: a resumed run keeps its recipe (recipe.json in the run directory)");
                result = Run(console, r => Trainer.Resume(dir.FullName, options, r, cancel), $"resume {dir.Name}");
            }
            else
            {
                Recipe r = parse.GetValue(recipe) is { } file ? RecipeJson.Load(file.FullName) : Recipe.Default;
                if (Positive(parse.GetValue(steps), "--steps") is { } s)
                    r = r with { Steps = s, WarmupSteps = Math.Min(r.WarmupSteps, s / 10), EvalInterval = Math.Min(r.EvalInterval, s) };
                if (parse.GetValue(router) is { } rn)
                {
                    // Unknown names fail here, listing the catalog; "dense" takes the model's dense control.
                    r = RouterComparison.ForRouter(r, rn);
                }
                if (parse.GetValue(seed) is { } sd)
                    r = r with { Seed = sd >= 0 ? (ulong)sd : throw new InvalidRecipeException("--seed", 0, $"must be a non-negative integer, found {sd}") };
                if (parse.GetValue(output) is { } o) r = r with { Out = o };
                if (parse.GetValue(threads) is { } t) r = r with { Threads = t >= 0 ? t : throw new InvalidRecipeException("--threads", 0, $"must be a non-negative integer, found {t}") };
                if (parse.GetValue(lr) is { } l)
                    r = r with { LearningRate = l > 0 && double.IsFinite(l) ? l : throw new InvalidRecipeException("--lr", 0, $"must be a positive number, found {l.ToString(CultureInfo.InvariantCulture)}"), MinLearningRate = Math.Min(r.MinLearningRate, l) };
                if (Positive(parse.GetValue(batch), "--batch-size") is { } b) r = r with { BatchSize = b };
                if (parse.GetValue(evalInterval) is { } ei) r = r with { EvalInterval = ei >= 0 ? ei : throw new InvalidRecipeException("--eval-interval", 0, $"must be a non-negative integer, found {ei}") };
                if (parse.GetValue(name) is { } n) r = r with { Name = n };
                Recipe final = r;
                WarnIfNonCausal(console, final);
                result = Run(console, p => Trainer.Run(final, options, p, cancel), $"train {final.Name}");
            }
            Summarize(console, result);
            return 0;
        });
        return command;
    }

    /// <summary>An integer option whose parse error reads "--steps must be an integer, found 'abc'".</summary>
    internal static Option<int?> Int(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = r =>
        {
            string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v)) return v;
            r.AddError($"{name}: must be an integer, found '{text}'");
            return null;
        },
    };

    static int? Positive(int? value, string flag) =>
        value is null or > 0 ? value : throw new InvalidRecipeException(flag, 0, $"must be a positive integer, found {value}");

    static TrainResult Run(IAnsiConsole console, Func<IProgress<TrainStep>, TrainResult> train, string title)
    {
        TrainResult? result = null;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: 1);
                double? val = null;
                result = train(new SyncProgress<TrainStep>(s =>
                {
                    task.MaxValue = s.TotalSteps;
                    task.Value = s.Step;
                    val = s.ValidationLoss ?? val;
                    string v = val is { } x ? $" val {x:F3}" : "";
                    task.Description = Markup.Escape(
                        $"{title} step {s.Step}/{s.TotalSteps} loss {s.Loss:F3}{v} {s.TokensPerSecond:F0} tok/s ETA {s.Remaining:mm\\:ss}");
                }));
                task.StopTask();
            });
        return result!;
    }

    static void Summarize(IAnsiConsole console, TrainResult r)
    {
        console.MarkupLine($"[bold]run[/] {Markup.Escape(r.RunDirectory)}  step {r.Step}/{r.TotalSteps}  {r.Elapsed.TotalSeconds:F1} s");
        if (r.Validation is { } v)
        {
            console.MarkupLine($"[bold]validation loss[/] {v.Loss:F4} nats/token (ppl {v.Perplexity:F2}) vs unigram baseline {r.UnigramEntropy:F4}");
            var t = new Table().Border(TableBorder.Rounded).Title("validation loss per domain").AddColumn("group").AddColumn("domain")
                .AddColumn(new TableColumn("loss").RightAligned()).AddColumn(new TableColumn("tokens").RightAligned());
            foreach (var g in v.BySource) t.AddRow("[bold]source[/]", Markup.Escape(g.Name), $"{g.Loss:F3}", $"{g.Tokens}");
            foreach (var g in v.ByTask.Where(g => g.Name != "text")) t.AddRow("task", Markup.Escape(g.Name), $"{g.Loss:F3}", $"{g.Tokens}");
            foreach (var g in v.ByDomain.OrderBy(g => g.Loss)) t.AddRow("domain", Markup.Escape(g.Name), $"{g.Loss:F3}", $"{g.Tokens}");
            console.Write(t);
        }
        else console.MarkupLine($"unigram baseline {r.UnigramEntropy:F4} nats/token (no evaluation ran)");
        if (r.Layers.Count > 0)
        {
            // Compact: whole percentages so that 8–16 experts fit an 80-column terminal.
            int experts = r.Layers.Max(l => l.Load.Length);
            var t = new Table().Border(TableBorder.Rounded).Title("expert load per layer (% of assignments, last step)").AddColumn("layer");
            for (int e = 0; e < experts; e++) t.AddColumn(new TableColumn($"{e}").RightAligned());
            t.AddColumn(new TableColumn("CV").RightAligned()).AddColumn(new TableColumn("drop").RightAligned()).AddColumn(new TableColumn("H").RightAligned());
            foreach (var l in r.Layers)
            {
                var cells = new List<string> { $"{l.Layer} {Markup.Escape(l.Router)}" };
                for (int e = 0; e < experts; e++) cells.Add(e < l.Load.Length ? $"{100 * l.Load[e]:F0}" : "");
                cells.Add($"{l.LoadCv:F2}"); cells.Add($"{100 * l.DroppedFraction:F0}%"); cells.Add($"{l.Entropy:F2}");
                t.AddRow(cells.ToArray());
            }
            console.Write(t);
        }
        console.MarkupLine($"[bold]throughput[/] {r.TokensPerSecond:F0} tokens/s, {r.FlopsPerToken / 1e6:F2} MFLOP/token (training), "
            + $"MFU {100 * r.Mfu:F1}% of a measured {r.PeakFlops / 1e9:F1} GFLOP/s GEMM peak");
    }

    // baselines.md §5: expert choice selects among all tokens of a batch, so later tokens
    // influence earlier tokens' routing; fine for comparison, but say so.
    static void WarnIfNonCausal(IAnsiConsole console, Recipe recipe)
    {
        foreach (string? name in recipe.RouterLayers.Select(l => l.Router).Prepend(recipe.Router))
        {
            if (RouterCatalog.Entries.FirstOrDefault(e => e.Name == name) is { IsCausal: false } entry)
                console.MarkupLine($"[yellow]note:[/] router '{Markup.Escape(entry.Name)}' is not causal: a token's routing depends on later tokens of the batch; evaluate with the training batch shape.");
        }
    }
}
