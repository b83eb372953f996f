using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Autograd;

public sealed partial class Tape
{
    /// <summary>
    /// Row gather: output row i = <paramref name="table"/> row indices[i]; table [rows, width],
    /// output [indices.Length, width]. The gradient scatter-adds back into the table
    /// (deterministically). Indices are not differentiable and are copied.
    /// </summary>
    /// <exception cref="ShapeMismatchException">table is not 2-D.</exception>
    public Var IndexSelect(Var table, ReadOnlySpan<int> indices)
    {
        bool grad = NeedsGrad(table);
        Shape s = table.Shape;
        if (s.Rank != 2) throw new ShapeMismatchException("IndexSelect table", "[rows, width]", s.ToString());
        Var y = NewVar(new Shape(indices.Length, s[1]), grad);
        Tensors.Kernels.IndexSelect.Forward(table.Value.Span, indices, y.Value.Span, s[1]);
        if (grad) Record(IndexSelectOp.Instance, [table], [y]).Ints = CopyInts(indices);
        return y;
    }

    /// <summary>Embedding lookup: row ids[i] of <paramref name="weight"/> [vocab, dim]; [ids.Length, dim]. Same as <see cref="IndexSelect"/>.</summary>
    public Var Embedding(Var weight, ReadOnlySpan<int> ids) => IndexSelect(weight, ids);

    /// <summary>
    /// Weighted scatter-add into a fresh [<paramref name="dstRows"/>, width] tensor:
    /// out row indices[i] += weights[i]·src row i (the MoE combine). <paramref name="src"/> is
    /// [n, width]; <paramref name="weights"/> is [n] (differentiable gates) or null (all 1).
    /// Indices are not differentiable and are copied. Deterministic however many rows collide.
    /// </summary>
    /// <exception cref="ShapeMismatchException">Shapes or lengths do not fit.</exception>
    public Var ScatterAdd(Var src, ReadOnlySpan<int> indices, Var? weights, int dstRows)
    {
        bool grad = NeedsGrad(src, weights);
        Shape s = src.Shape;
        if (s.Rank != 2 || s[0] != indices.Length)
            throw new ShapeMismatchException("ScatterAdd src", $"[{indices.Length}, width] (one row per index)", s.ToString());
        if (weights is not null)
            ShapeMismatchException.ThrowIf(weights.Shape != new Shape(indices.Length), "ScatterAdd weights", new Shape(indices.Length), weights.Shape);
        Var y = NewVar(new Shape(dstRows, s[1]), grad, zero: true);
        Tensors.Kernels.ScatterAdd.Rows(src.Value.Span, indices, weights is null ? default : weights.Value.Span, y.Value.Span, s[1]);
        if (grad)
        {
            TapeNode node = weights is null ? Record(ScatterAddOp.Instance, [src], [y]) : Record(ScatterAddOp.Instance, [src, weights], [y]);
            node.Ints = CopyInts(indices);
        }
        return y;
    }
}

/// <summary>dTable row indices[i] += dY row i.</summary>
internal sealed class IndexSelectOp : TapeOp
{
    public static readonly IndexSelectOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var table = node.Input(0);
        IndexSelect.Backward(node.Output(0).Grad.Span, node.Ints.Span, table.Grad.Span, table.Shape[1]);
    }
}

/// <summary>dSrc row i += w[i]·dY row indices[i]; dW[i] += src row i · dY row indices[i].</summary>
internal sealed class ScatterAddOp : TapeOp
{
    public static readonly ScatterAddOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var src = node.Input(0);
        Var? weights = node.InputCount > 1 ? node.Input(1) : null;
        ReadOnlySpan<float> dy = node.Output(0).Grad.Span;
        int width = src.Shape[1];
        if (src.RequiresGrad)
            ScatterAdd.BackwardSource(dy, node.Ints.Span, weights is null ? default : weights.Value.Span, src.Grad.Span, width);
        if (weights is { RequiresGrad: true })
            ScatterAdd.BackwardWeights(src.Value.Span, node.Ints.Span, dy, weights.Grad.Span, width);
    }
}
