using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Training;

/// <summary>
/// The consistency regulariser of multi-pass training (THOR, arXiv 2110.04260; R-Drop): the symmetric KL between
/// the output distributions of two forward passes of the same batch. A composition of gradient-checked tape ops
/// (LogSoftmax, Exp, Sub, Mul, SumLastAxis, Sum, Scale), in float32 on the softmax probabilities.
/// </summary>
public static class ConsistencyLoss
{
    /// <summary>
    /// ½[KL(p‖q) + KL(q‖p)] = ½ Σ_v (p_v − q_v)(log p_v − log q_v) per row, p = softmax(<paramref name="a"/>),
    /// q = softmax(<paramref name="b"/>) [rows, vocab], averaged over the rows whose <paramref name="mask"/> is non-zero
    /// (padding and prompts excluded; an empty mask gives 0). Gradient flows into both passes.
    /// </summary>
    /// <exception cref="ShapeMismatchException">The logits differ in shape or are not [rows, vocab].</exception>
    /// <exception cref="ArgumentException">The mask length is not rows.</exception>
    public static Var SymmetricKl(Tape tape, Var a, Var b, ReadOnlySpan<float> mask)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Shape != b.Shape || a.Shape.Rank != 2) throw new ShapeMismatchException("SymmetricKl logits", a.Shape.ToString(), b.Shape.ToString());
        int rows = a.Shape.Rows;
        if (mask.Length != rows) throw new ArgumentException($"{mask.Length} mask entries for {rows} rows", nameof(mask));
        Var logP = tape.LogSoftmax(a), logQ = tape.LogSoftmax(b);
        Var perRow = tape.SumLastAxis(tape.Mul(tape.Sub(tape.Exp(logP), tape.Exp(logQ)), tape.Sub(logP, logQ)));
        Tensor m = tape.Allocate(new Shape(rows), zero: false);
        int count = 0;
        for (int i = 0; i < rows; i++)
        {
            bool keep = mask[i] != 0f;
            m.Span[i] = keep ? 1f : 0f;
            if (keep) count++;
        }
        return tape.Scale(tape.Sum(tape.Mul(perRow, tape.Constant(m))), count == 0 ? 0f : 0.5f / count);
    }
}
