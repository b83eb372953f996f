using Switchyard.Autograd;
using Switchyard.Data;
using Switchyard.Data.Tokenizers;
using Switchyard.Experts;
using Switchyard.Models;

namespace Switchyard.Training;

/// <summary>
/// Runs a trained model over validation batches of its run's recipe (same mixture, split and window size) in
/// evaluation mode and hands the routing to a callback: routing analyses that need the plans themselves
/// (co-activation graphs, expert-cache replays, task purity, language spread) read them here. The per-layer form
/// sets the batch's side ids, as training does; the per-batch form sets none, as at deployment.
/// </summary>
public static class RoutingProbe
{
    /// <summary>Called once per routed layer and batch: the batch, the decoder layer index and the layer (its <see cref="MoeLayer.Plan"/> is this batch's).</summary>
    public delegate void LayerVisitor(TokenBatch batch, int layer, MoeLayer moe);

    /// <summary>
    /// Runs <paramref name="model"/> over <paramref name="batches"/> validation batches spread evenly over the validation
    /// split of <paramref name="recipe"/>'s mixture. A <c>bpe</c> recipe reads its tokenizer from <paramref name="runDirectory"/>.
    /// </summary>
    /// <returns>The batches run.</returns>
    /// <exception cref="InvalidRecipeException">A BPE recipe without a run directory holding its vocabulary.</exception>
    public static int Run(DecoderModel model, Recipe recipe, int batches, LayerVisitor visit, string? runDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(visit);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batches);
        ITokenizer tokenizer = recipe.Tokenizer != "bpe" ? ByteTokenizer.Instance
            : runDirectory is not null && File.Exists(Path.Combine(runDirectory, BpeVocabulary.VocabFileName)) ? BpeTokenizer.Load(runDirectory)
            : throw new InvalidRecipeException("tokenizer", 0, "a BPE run's routing probe needs the run directory holding its vocabulary");
        DataMixture mixture = MixtureCatalog.Build(recipe.Mixture, tokenizer, recipe.Seed, recipe.ValidationFraction);
        EvaluationBatches eval = mixture.Evaluation(recipe.BatchSize, recipe.SeqLen);
        int stride = Math.Max(1, eval.Batches / batches), index = 0, run = 0;
        bool training = model.Training;
        ILayerStatsSink? sink = model.StatsSink;
        var tape = new Tape();
        try
        {
            model.Training = false;
            foreach (TokenBatch b in eval)
            {
                if (index++ % stride != 0) continue;
                if (run == batches) break;
                model.StatsSink = new Visitor(b, visit);
                tape.Reset();
                BatchSideIds.Apply(model.RoutingContext, b);
                using (tape.NoGrad()) model.Forward(tape, b.Inputs, b.BatchSize, b.SequenceLength);
                run++;
            }
        }
        finally
        {
            model.Training = training;
            model.StatsSink = sink;
            tape.Reset();
        }
        return run;
    }

    sealed class Visitor(TokenBatch batch, LayerVisitor visit) : ILayerStatsSink
    {
        public void OnFeedForward(int layer, FeedForwardBlock block, int rows)
        {
            foreach (MoeLayer m in block.RoutedLayers) visit(batch, layer, m);
        }
    }

    /// <summary>
    /// Loads the run in <paramref name="runDirectory"/> (no side ids set: the routers see features only), builds its recipe's data (same seed and split) and calls
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
