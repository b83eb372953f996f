using Switchyard.Data;
using Switchyard.Data.Tokenizers;
using Switchyard.Models;

namespace Switchyard.Training.Adaptation;

/// <summary>
/// The RoMA experiment (shared/specs/token-routers.md §17b (d); <c>"procedure": "roma"</c>): trains every arm with the
/// compare machinery (a pre-training arm on the <c>tasks</c> mixture; router-only fine-tunes that start from it with
/// <c>"init": { "from": "arm:…" }</c> and <c>"trainable": "routers"</c>), refreshing the references of any
/// <see cref="Routing.Balancers.ManifoldAlignmentLoss"/> (router <c>roma</c>) every <see cref="RefreshInterval"/> steps from
/// <see cref="PoolPerTask"/> training examples per task of the run's seed; then measures each run on the held-out
/// examples: <c>exact_match</c> (all tasks), <c>exact_match/TASK</c>, and <c>nmi</c>, the normalised mutual information
/// between task and top-1 expert over the examples' tokens (arithmetic normalisation, mean over MoE layers).
/// </summary>
internal sealed class RomaProcedure : IReproductionProcedure
{
    /// <summary>Training examples per task in the reference pool.</summary>
    public const int PoolPerTask = 48;

    /// <summary>Held-out examples per task measured.</summary>
    public const int HeldOutPerTask = 50;

    /// <summary>Steps between reference refreshes (one "epoch" of this small experiment).</summary>
    public const int RefreshInterval = 25;

    public IReadOnlyList<ComparisonRow> Run(Reproduction reproduction, IReadOnlyList<ComparisonArm> arms, int seeds, string directory,
        TrainOptions? options, Action<string, ulong, int, int>? started, IProgress<TrainStep>? progress, CancellationToken cancel)
    {
        foreach (ComparisonArm arm in arms)
        {
            if (arm.Recipe.Mixture != "tasks")
                throw new InvalidRecipeException(reproduction.Name, 0, $"procedure 'roma': arm '{arm.Label}' trains on '{arm.Recipe.Mixture}'; it needs the 'tasks' mixture");
            if (arm.Recipe.Tokenizer != "byte")
                throw new InvalidRecipeException(reproduction.Name, 0, $"procedure 'roma': arm '{arm.Label}' uses the '{arm.Recipe.Tokenizer}' tokenizer (valid: byte)");
        }
        ITokenizer tokenizer = ByteTokenizer.Instance;
        ManifoldReferences? references = null;
        void Started(string label, ulong seed, int index, int total)
        {
            references = new ManifoldReferences(Examples(SyntheticTasks.CreateSplit(2000, 200, seed).Train, PoolPerTask), tokenizer, RefreshInterval);
            started?.Invoke(label, seed, index, total);
        }
        var run = (options ?? new TrainOptions()) with { BeforeStep = (step, model) => references?.BeforeStep(step, model) };
        return RouterComparison.Run(reproduction.Recipe, arms, seeds, directory, run, Started, progress, cancel,
            (arm, recipe, result) => Measure(recipe, result, tokenizer));
    }

    static IReadOnlyDictionary<string, double> Measure(Recipe run, TrainResult result, ITokenizer tokenizer)
    {
        DecoderModel model = DecoderModel.FromPretrained(result.RunDirectory, MoeFeedForward.Factory);
        var examples = Examples(SyntheticTasks.CreateSplit(2000, 200, run.Seed).Validation, HeldOutPerTask);
        var probed = TaskProbe.Run(model, examples, tokenizer);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal) { ["exact_match"] = probed.Average(r => r.Exact ? 1.0 : 0.0) };
        foreach (var group in probed.GroupBy(r => examples[r.Index].Task))
            metrics["exact_match/" + SyntheticTasks.Name(group.Key)] = group.Average(r => r.Exact ? 1.0 : 0.0);
        int layers = probed[0].TopExperts.Length;
        double nmi = 0;
        for (int l = 0; l < layers; l++)
            nmi += Nmi(probed.SelectMany(r => r.TopExperts[l].Select(e => ((int)examples[r.Index].Task, e))));
        metrics["nmi"] = nmi / layers;
        return metrics;
    }

    // The first `perTask` examples of each task, in the split's order.
    internal static List<SyntheticExample> Examples(Corpus corpus, int perTask)
    {
        var list = new List<SyntheticExample>();
        foreach (var group in corpus.Documents.GroupBy(d => d.Task ?? ""))
            foreach (Document d in group.Take(perTask))
            {
                CharSpan answer = d.Answers[0];
                SyntheticTask task = SyntheticTasks.All.First(t => SyntheticTasks.Name(t) == d.Task);
                list.Add(new SyntheticExample(task, d.Text[..answer.Start], d.Text[answer.Start..]));
            }
        return list;
    }

    /// <summary>NMI(X; Y) = 2·I(X; Y) / (H(X) + H(Y)) of paired labels (0 when both are constant).</summary>
    internal static double Nmi(IEnumerable<(int X, int Y)> pairs)
    {
        var joint = new Dictionary<(int, int), double>();
        var px = new Dictionary<int, double>();
        var py = new Dictionary<int, double>();
        double n = 0;
        foreach (var (x, y) in pairs)
        {
            joint[(x, y)] = joint.GetValueOrDefault((x, y)) + 1;
            px[x] = px.GetValueOrDefault(x) + 1;
            py[y] = py.GetValueOrDefault(y) + 1;
            n++;
        }
        if (n == 0) return 0;
        double hx = -px.Values.Sum(c => c / n * Math.Log(c / n)), hy = -py.Values.Sum(c => c / n * Math.Log(c / n));
        double mi = joint.Sum(kv => kv.Value / n * Math.Log(kv.Value * n / (px[kv.Key.Item1] * py[kv.Key.Item2])));
        return hx + hy == 0 ? 0 : 2 * mi / (hx + hy);
    }
}
