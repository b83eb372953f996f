using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Autograd;

public sealed partial class Tape
{
    /// <summary>
    /// C = op(A)·op(B) for 2-D A and B (the <see cref="Gemm"/> conventions): op(A) is m×k,
    /// stored k×m when <paramref name="transA"/>; op(B) is k×n, stored n×k when <paramref name="transB"/>.
    /// </summary>
    /// <exception cref="ShapeMismatchException">An input is not 2-D, or the inner dimensions differ.</exception>
    public Var MatMul(Var a, Var b, bool transA = false, bool transB = false)
    {
        bool grad = NeedsGrad(a, b);
        Shape sa = a.Shape, sb = b.Shape;
        if (sa.Rank != 2) throw new ShapeMismatchException("MatMul A", "rank 2", sa.ToString());
        if (sb.Rank != 2) throw new ShapeMismatchException("MatMul B", "rank 2", sb.ToString());
        int m = transA ? sa[1] : sa[0], k = transA ? sa[0] : sa[1];
        int kb = transB ? sb[1] : sb[0], n = transB ? sb[0] : sb[1];
        if (k != kb)
            throw new ShapeMismatchException($"MatMul (transA {transA}, transB {transB})", $"B with inner dimension {k} to match A {sa}", sb.ToString());
        Var c = NewVar(new Shape(m, n), grad);
        Gemm.Multiply(a.Value.Span, b.Value.Span, c.Value.Span, m, n, k, transA, transB);
        if (grad)
        {
            TapeNode node = Record(MatMulOp.Instance, [a, b], [c]);
            node.Int0 = transA ? 1 : 0;
            node.Int1 = transB ? 1 : 0;
        }
        return c;
    }

    /// <summary>
    /// y = x·Wᵀ + b, the PyTorch/Hugging Face linear layer: <paramref name="x"/> [..., in],
    /// <paramref name="weight"/> [out, in], optional <paramref name="bias"/> [out]; y is [..., out].
    /// </summary>
    /// <exception cref="ShapeMismatchException">Shapes do not fit.</exception>
    public Var Linear(Var x, Var weight, Var? bias = null)
    {
        bool grad = NeedsGrad(x, weight, bias);
        Shape sx = x.Shape, sw = weight.Shape;
        if (sw.Rank != 2) throw new ShapeMismatchException("Linear weight", "rank 2 [out, in]", sw.ToString());
        int rows = sx.Rows, inF = sw[1], outF = sw[0];
        if (sx.Rank == 0 || sx.Last != inF)
            throw new ShapeMismatchException("Linear", $"input [..., {inF}] for weight {sw}", sx.ToString());
        if (bias is not null) ShapeMismatchException.ThrowIf(bias.Shape != new Shape(outF), "Linear bias", new Shape(outF), bias.Shape);
        Var y = NewVar(WithLast(sx, outF), grad);
        Span<float> ys = y.Value.Span;
        Gemm.Multiply(x.Value.Span, weight.Value.Span, ys, rows, outF, inF, transB: true);
        if (bias is not null) Elementwise.AddRowBroadcast(ys, bias.Value.Span, ys, rows, outF);
        if (grad)
        {
            if (bias is null) Record(LinearOp.Instance, [x, weight], [y]);
            else Record(LinearOp.Instance, [x, weight, bias], [y]);
        }
        return y;
    }
}

/// <summary>dop(A) = dC·op(B)ᵀ, dop(B) = op(A)ᵀ·dC, written in the stored layouts.</summary>
internal sealed class MatMulOp : TapeOp
{
    public static readonly MatMulOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var a = node.Input(0), b = node.Input(1);
        Tensor dc = node.Output(0).Grad;
        bool transA = node.Int0 != 0, transB = node.Int1 != 0;
        int m = dc.Shape[0], n = dc.Shape[1];
        int k = transA ? a.Shape[0] : a.Shape[1];
        if (a.RequiresGrad)
        {
            if (!transA) Gemm.Multiply(dc.Span, b.Value.Span, a.Grad.Span, m, k, n, transB: !transB, beta: 1f);
            else Gemm.Multiply(b.Value.Span, dc.Span, a.Grad.Span, k, m, n, transA: transB, transB: true, beta: 1f);
        }
        if (b.RequiresGrad)
        {
            if (!transB) Gemm.Multiply(a.Value.Span, dc.Span, b.Grad.Span, k, n, m, transA: !transA, beta: 1f);
            else Gemm.Multiply(dc.Span, a.Value.Span, b.Grad.Span, n, k, m, transA: true, transB: transA, beta: 1f);
        }
    }
}

/// <summary>dX += dY·W, dW += dYᵀ·X, dB += column sums of dY.</summary>
internal sealed class LinearOp : TapeOp
{
    public static readonly LinearOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var x = node.Input(0), w = node.Input(1);
        Tensor dy = node.Output(0).Grad;
        int rows = x.Shape.Rows, inF = w.Shape[1], outF = w.Shape[0];
        if (x.RequiresGrad) Gemm.Multiply(dy.Span, w.Value.Span, x.Grad.Span, rows, inF, outF, beta: 1f);
        if (w.RequiresGrad) Gemm.Multiply(dy.Span, x.Value.Span, w.Grad.Span, outF, inF, rows, transA: true, beta: 1f);
        if (node.InputCount > 2 && node.Input(2) is { RequiresGrad: true } b)
            Reduce.AccumulateColumnSums(dy.Span, b.Grad.Span, rows, outF);
    }
}
