using Switchyard.Autograd;
using Switchyard.Data;
using Switchyard.Experts;
using Switchyard.Models;

namespace Switchyard.Training.Adaptation;

/// <summary>
/// Runs synthetic task examples through a model without gradients, one example per row (<c>EOS prompt answer</c>, padded),
/// and reports per example: whether the answer is exact (every answer token is the arg-max given the correct prefix, which
/// is exactly when greedy decoding reproduces it), its prompt tokens, and per MoE layer the dense routing probabilities
/// pooled over the example (mean over its tokens, and at the last prompt token) plus each token's top-1 expert.
/// </summary>
internal static class TaskProbe
{
    const int RowsPerBatch = 32;

    /// <summary>One probed example.</summary>
    /// <param name="Index">Index into the examples.</param>
    /// <param name="Exact">Whether the answer is exact.</param>
    /// <param name="Prompt">The prompt's tokens.</param>
    /// <param name="Mean">Per MoE layer (in order), the mean routing probabilities over the example's tokens [E].</param>
    /// <param name="Last">Per MoE layer, the routing probabilities at the last prompt token [E].</param>
    /// <param name="TopExperts">Per MoE layer, the top-1 expert of each of the example's tokens.</param>
    public sealed record Result(int Index, bool Exact, int[] Prompt, float[][] Mean, float[][] Last, int[][] TopExperts);

    /// <summary>The model's routers in layer order (each routed layer once).</summary>
    public static List<MoeLayer> MoeLayers(DecoderModel model) =>
        [.. Enumerable.Range(0, model.Layers.Count).SelectMany(i => model.Layers[i].FeedForward.RoutedLayers)];

    public static List<Result> Run(DecoderModel model, IReadOnlyList<SyntheticExample> examples, ITokenizer tokenizer)
    {
        var encoded = examples.Select(e => (Prompt: tokenizer.Encode(e.Prompt), Answer: tokenizer.Encode(e.Answer))).ToArray();
        List<MoeLayer> layers = MoeLayers(model);
        var results = new List<Result>(examples.Count);
        var tape = new Tape();
        bool training = model.Training;
        var sink = model.StatsSink;
        model.Training = false;
        model.StatsSink = null;
        RoutingSideIds(model);
        int vocab = model.Config.VocabSize;
        try
        {
            for (int first = 0; first < encoded.Length; first += RowsPerBatch)
            {
                int rows = Math.Min(RowsPerBatch, encoded.Length - first);
                int seq = 0;
                for (int r = 0; r < rows; r++) seq = Math.Max(seq, encoded[first + r].Prompt.Length + encoded[first + r].Answer.Length);
                var ids = new int[rows * seq];
                for (int r = 0; r < rows; r++)
                {
                    var (p, a) = encoded[first + r];
                    ids[r * seq] = tokenizer.EosId;
                    p.CopyTo(ids, r * seq + 1);
                    a.AsSpan(0, a.Length - 1).CopyTo(ids.AsSpan(r * seq + 1 + p.Length)); // inputs stop before the last answer token
                }
                tape.Reset();
                using (tape.NoGrad())
                {
                    Var logits = model.Forward(tape, ids, rows, seq);
                    ReadOnlySpan<float> lg = logits.Value.Span;
                    for (int r = 0; r < rows; r++)
                    {
                        var (p, a) = encoded[first + r];
                        int m = p.Length, end = m + a.Length, o = r * seq;
                        bool exact = true;
                        for (int t = m; t < end && exact; t++) exact = ArgMax(lg.Slice((o + t) * vocab, vocab)) == a[t - m];
                        var mean = new float[layers.Count][];
                        var last = new float[layers.Count][];
                        var top = new int[layers.Count][];
                        for (int l = 0; l < layers.Count; l++)
                        {
                            ReadOnlySpan<float> probs = layers[l].Router.Probabilities!.Value.Span;
                            int e = layers[l].Router.Probabilities!.Shape[1];
                            mean[l] = new float[e];
                            top[l] = new int[end];
                            for (int t = 0; t < end; t++)
                            {
                                ReadOnlySpan<float> row = probs.Slice((o + t) * e, e);
                                for (int c = 0; c < e; c++) mean[l][c] += row[c] / end;
                                top[l][t] = ArgMax(row);
                            }
                            last[l] = probs.Slice((o + m) * e, e).ToArray();
                        }
                        results.Add(new Result(first + r, exact, p, mean, last, top));
                    }
                }
            }
        }
        finally
        {
            tape.Reset();
            model.Training = training;
            model.StatsSink = sink;
        }
        return results;
    }

    // Inference-like probing: no task, language or role ids reach the routers.
    static void RoutingSideIds(DecoderModel model) => model.RoutingContext.ClearSideIds();

    static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }
}
