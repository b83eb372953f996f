using Switchyard.Autograd;
using Switchyard.Data;
using Switchyard.Data.Tokenizers;
using Switchyard.Models;

namespace Switchyard.Training.Procedures;

// Reloads a finished run's checkpoint and walks validation batches of its recipe's data with the trainer's side ids,
// so a procedure can read per-token losses and each MoE layer's plan of the batch (MoeLayer.Plan after the forward).
internal static class RunProbe
{
    public delegate void Visit(DecoderModel model, TokenBatch batch, ReadOnlySpan<float> losses);

    public static void ForEachBatch(Recipe run, int maxBatches, Visit visit)
    {
        string dir = run.Out ?? throw new InvalidOperationException("the run has no directory");
        ITokenizer tokenizer = run.Tokenizer == "bpe" ? BpeTokenizer.Load(dir) : ByteTokenizer.Instance;
        DataMixture mixture = MixtureCatalog.Build(run.Mixture, tokenizer, run.Seed, run.ValidationFraction);
        DecoderModel model = DecoderModel.FromPretrained(dir, MoeFeedForward.Factory);
        model.Training = false;
        EvaluationBatches eval = mixture.Evaluation(run.BatchSize, run.SeqLen);
        int stride = Math.Max(1, eval.Batches / Math.Max(1, maxBatches)), rows = run.BatchSize * run.SeqLen, index = 0;
        var targets = new int[rows];
        var losses = new float[rows];
        var tape = new Tape();
        foreach (TokenBatch b in eval)
        {
            if (index++ % stride != 0) continue;
            for (int i = 0; i < rows; i++) targets[i] = b.LossMask[i] != 0f ? b.Targets[i] : DecoderModel.IgnoreIndex;
            BatchSideIds.Apply(model.RoutingContext, b);
            tape.Reset();
            model.PerTokenLoss(tape, b.Inputs, targets, b.BatchSize, b.SequenceLength, losses);
            visit(model, b, losses);
        }
        tape.Reset();
    }

    // The label of position t's input token: the label of position t−1 of its row (position 0: its own).
    public static int InputLabel(int[] labels, int item, int seq) => labels[item % seq == 0 ? item : item - 1];
}
