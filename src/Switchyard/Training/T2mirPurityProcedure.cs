using Switchyard.Autograd;
using Switchyard.Data;
using Switchyard.Experts;
using Switchyard.Models;

namespace Switchyard.Training;

/// <summary>
/// Reproduction procedure <c>t2mir-purity</c> (T2MIR, arXiv 2506.05426): trains the arms side by side and measures
/// each run after training, in inference mode (no task ids given to the routers), on its validation batches:
/// <list type="bullet">
/// <item><c>purity</c>: NMI between the token's task id and the argmax (top-1) expert of the task-wise router of the
/// last T2MIR block (of the token-wise router when the block has only that branch; of the last MoE layer for a plain
/// MoE block; absent for a dense model);</item>
/// <item><c>purity_token</c>: the same for the token-wise router, when there is one;</item>
/// <item><c>answer_accuracy</c>: share of scored (answer) tokens whose greedy prediction is the target.</item>
/// </list>
/// </summary>
public sealed class T2mirPurityProcedure : IReproductionProcedure
{
    /// <inheritdoc/>
    public IReadOnlyList<ComparisonRow> Run(Reproduction reproduction, IReadOnlyList<ComparisonArm> arms, int seeds, string directory,
        TrainOptions? options, Action<string, ulong, int, int>? started, IProgress<TrainStep>? progress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(reproduction);
        return RouterComparison.Run(reproduction.Recipe, arms, seeds, directory, options, started, progress, cancel, Measure);
    }

    /// <summary>Measures one finished run (the <see cref="RouterComparison.RunMeasure"/> of this procedure).</summary>
    public static IReadOnlyDictionary<string, double> Measure(ComparisonArm arm, Recipe run, TrainResult result)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(result);
        var tasks = new List<int>();
        var taskExpert = new List<int>();
        var tokenExpert = new List<int>();
        long correct = 0, scored = 0;
        bool hasTask = false, hasToken = false;
        int[] buffer = [];
        RoutingProbe.Run(result.RunDirectory, run, (model, batch, logits) =>
        {
            var (task, token) = Routers(model);
            hasTask |= task is not null;
            hasToken |= token is not null;
            int rows = batch.Rows * batch.SequenceLength;
            if (buffer.Length < batch.BatchSize * batch.SequenceLength) buffer = new int[batch.BatchSize * batch.SequenceLength];
            for (int i = 0; i < rows; i++) tasks.Add(batch.Tasks[i]);
            if (task is not null) Collect(task, rows, buffer, taskExpert);
            if (token is not null) Collect(token, rows, buffer, tokenExpert);
            int vocab = logits.Shape[1];
            ReadOnlySpan<float> v = logits.Value.Span;
            for (int i = 0; i < rows; i++)
            {
                if (batch.LossMask[i] == 0f) continue;
                ReadOnlySpan<float> row = v.Slice(i * vocab, vocab);
                int arg = 0;
                for (int c = 1; c < vocab; c++) if (row[c] > row[arg]) arg = c;
                scored++;
                if (arg == batch.Targets[i]) correct++;
            }
        });
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal) { ["answer_accuracy"] = scored == 0 ? double.NaN : (double)correct / scored };
        int[] t = [.. tasks];
        if (hasTask) metrics["purity"] = RoutingMeasures.NormalizedMutualInformation(t, [.. taskExpert]);
        if (hasToken)
        {
            metrics["purity_token"] = RoutingMeasures.NormalizedMutualInformation(t, [.. tokenExpert]);
            if (!hasTask) metrics["purity"] = metrics["purity_token"];
        }
        return metrics;
    }

    static void Collect(MoeLayer layer, int rows, int[] buffer, List<int> into)
    {
        RoutingProbe.TopExpert(layer.Plan, buffer);
        for (int i = 0; i < rows; i++) into.Add(buffer[i]);
    }

    // The task-wise and token-wise routers of the last routed block: a T2MIR block's branches, or a plain MoE layer as "token".
    static (MoeLayer? Task, MoeLayer? Token) Routers(DecoderModel model)
    {
        for (int i = model.Layers.Count - 1; i >= 0; i--)
        {
            FeedForwardBlock block = model.Layers[i].FeedForward;
            if (block is T2mirFeedForward t2) return (t2.TaskMoe, t2.TokenMoe);
            if (block.RoutedLayers.LastOrDefault() is { } moe) return (null, moe);
        }
        return (null, null);
    }
}
