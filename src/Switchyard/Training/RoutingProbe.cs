using Switchyard.Autograd;
using Switchyard.Data;
using Switchyard.Data.Tokenizers;
using Switchyard.Models;

namespace Switchyard.Training;

/// <summary>
/// Runs a trained model over validation batches in inference mode (no side ids set: the routers see features only,
/// as at deployment) and hands each batch with its finished forward pass to a callback that reads the layers'
/// routing plans. What the reproduction procedures measure routing with.
/// </summary>
public static class RoutingProbe
{
    /// <summary>
    /// Loads the run in <paramref name="runDirectory"/>, builds its recipe's data (same seed and split) and calls
    /// <paramref name="onBatch"/> after the forward pass of up to <see cref="Recipe.EvalBatches"/> validation batches
    /// spread evenly over the split, with the batch and the logits [B·T, vocab].
    /// </summary>
    public static void Run(string runDirectory, Recipe run, Action<DecoderModel, TokenBatch, Var> onBatch)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(onBatch);
        DecoderModel model = DecoderModel.FromPretrained(runDirectory, MoeFeedForward.Factory);
        model.Training = false;
        DataMixture mixture = MixtureCatalog.Build(run.Mixture, ByteTokenizer.Instance, run.Seed, run.ValidationFraction);
        EvaluationBatches batches = mixture.Evaluation(run.BatchSize, run.SeqLen);
        int stride = Math.Max(1, batches.Batches / Math.Max(1, run.EvalBatches)), index = 0;
        var tape = new Tape();
        foreach (TokenBatch b in batches)
        {
            if (index++ % stride != 0) continue;
            tape.Reset();
            Var logits = model.Forward(tape, b.Inputs, b.BatchSize, b.SequenceLength);
            onBatch(model, b, logits);
        }
    }

    /// <summary>The top-1 (highest-ranked selected) expert of each item in <paramref name="plan"/>, −1 for an item that selected none.</summary>
    public static void TopExpert(Routing.RoutingPlan plan, Span<int> expert)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ReadOnlySpan<int> off = plan.SelectedOffsets, sel = plan.SelectedExpert;
        for (int i = 0; i < plan.Items; i++) expert[i] = off[i + 1] > off[i] ? sel[off[i]] : -1;
    }
}
