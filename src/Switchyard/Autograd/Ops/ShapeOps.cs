using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Autograd;

public sealed partial class Tape
{
    /// <summary>The same elements with another shape of equal size: a view, no copy.</summary>
    /// <exception cref="ShapeMismatchException">Sizes differ.</exception>
    public Var Reshape(Var x, Shape shape)
    {
        bool grad = NeedsGrad(x);
        ShapeMismatchException.ThrowIf(shape.Size != x.Shape.Size, "Reshape", x.Shape, shape);
        Var y = NewVar(Arena.View(x.Value, shape), grad);
        if (grad) Record(ReshapeOp.Instance, [x], [y]);
        return y;
    }

    /// <summary>The 2-D transpose: [r, c] → [c, r] (a copy).</summary>
    /// <exception cref="ShapeMismatchException">x is not rank 2.</exception>
    public Var Transpose(Var x)
    {
        bool grad = NeedsGrad(x);
        Shape s = x.Shape;
        if (s.Rank != 2) throw new ShapeMismatchException("Transpose", "rank 2", s.ToString());
        Var y = NewVar(new Shape(s[1], s[0]), grad);
        Tensors.Kernels.Transpose.Matrix(x.Value.Span, y.Value.Span, s[0], s[1]);
        if (grad) Record(TransposeOp.Instance, [x], [y]);
        return y;
    }

    /// <summary>Swaps the two middle axes of a rank-4 tensor: [B, T, H, D] → [B, H, T, D] (a copy).</summary>
    /// <exception cref="ShapeMismatchException">x is not rank 4.</exception>
    public Var SwapMiddleAxes(Var x)
    {
        bool grad = NeedsGrad(x);
        Shape s = x.Shape;
        if (s.Rank != 4) throw new ShapeMismatchException("SwapMiddleAxes", "rank 4", s.ToString());
        Var y = NewVar(new Shape(s[0], s[2], s[1], s[3]), grad);
        Tensors.Kernels.Transpose.SwapMiddleAxes(x.Value.Span, y.Value.Span, s[0], s[1], s[2], s[3]);
        if (grad) Record(SwapMiddleAxesOp.Instance, [x], [y]);
        return y;
    }

    /// <summary>Concatenation along the last axis; all other dimensions must match.</summary>
    /// <exception cref="ArgumentException">No parts.</exception>
    /// <exception cref="ShapeMismatchException">Leading dimensions differ.</exception>
    public Var Concat(params ReadOnlySpan<Var> parts)
    {
        if (parts.IsEmpty) throw new ArgumentException("Concat needs at least one part", nameof(parts));
        bool grad = NeedsGrad(parts);
        Shape first = parts[0].Shape;
        if (first.Rank == 0) throw new ShapeMismatchException("Concat", "rank ≥ 1", first.ToString());
        int total = 0;
        foreach (Var p in parts)
        {
            Shape s = p.Shape;
            bool same = s.Rank == first.Rank;
            for (int i = 0; same && i < s.Rank - 1; i++) same = s[i] == first[i];
            ShapeMismatchException.ThrowIf(!same, "Concat (all but the last axis must match)", first, s);
            total += s.Last;
        }
        Var y = NewVar(WithLast(first, total), grad);
        int rows = first.Rows, offset = 0;
        foreach (Var p in parts)
        {
            ColumnSlice.Insert(p.Value.Span, y.Value.Span, rows, total, offset, p.Shape.Last);
            offset += p.Shape.Last;
        }
        if (grad) Record(ConcatOp.Instance, parts, [y]);
        return y;
    }

    /// <summary>Columns [<paramref name="offset"/>, offset + <paramref name="width"/>) of the last axis (a copy).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is outside the last axis.</exception>
    public Var Slice(Var x, int offset, int width)
    {
        bool grad = NeedsGrad(x);
        Shape s = x.Shape;
        if (offset < 0 || width < 0 || offset + width > s.Last || s.Rank == 0)
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"columns [{offset}, {offset + width}) are outside the last axis of {s}");
        Var y = NewVar(WithLast(s, width), grad);
        ColumnSlice.Extract(x.Value.Span, y.Value.Span, s.Rows, s.Last, offset, width);
        if (grad) Record(SliceOp.Instance, [x], [y]).Int0 = offset;
        return y;
    }

    /// <summary>Splits the last axis into <c>parts.Length</c> equal pieces, written to <paramref name="parts"/> (one node with several outputs).</summary>
    /// <exception cref="ShapeMismatchException">The last axis does not divide evenly.</exception>
    public void Split(Var x, Span<Var> parts)
    {
        if (parts.IsEmpty) throw new ArgumentException("Split needs at least one part", nameof(parts));
        bool grad = NeedsGrad(x);
        Shape s = x.Shape;
        if (s.Rank == 0 || s.Last % parts.Length != 0)
            throw new ShapeMismatchException($"Split into {parts.Length}", $"a last axis divisible by {parts.Length}", s.ToString());
        int width = s.Last / parts.Length;
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = NewVar(WithLast(s, width), grad);
            ColumnSlice.Extract(x.Value.Span, parts[i].Value.Span, s.Rows, s.Last, i * width, width);
        }
        if (grad) Record(SplitOp.Instance, [x], parts);
    }

    internal static Shape WithLast(Shape s, int last)
    {
        Span<int> dims = stackalloc int[Shape.MaxRank];
        for (int i = 0; i < s.Rank; i++) dims[i] = s[i];
        dims[s.Rank - 1] = last;
        return new Shape(dims[..s.Rank]);
    }
}

/// <summary>dX += dY (a view shares storage, not gradient).</summary>
internal sealed class ReshapeOp : TapeOp
{
    public static readonly ReshapeOp Instance = new();

    public override void Backward(Tape tape, TapeNode node) =>
        Elementwise.Accumulate(node.Output(0).Grad.Span, node.Input(0).Grad.Span);
}

/// <summary>dX += dYᵀ.</summary>
internal sealed class TransposeOp : TapeOp
{
    public static readonly TransposeOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Tensor dy = node.Output(0).Grad;
        Transpose.Matrix(dy.Span, node.Input(0).Grad.Span, dy.Shape[0], dy.Shape[1], accumulate: true);
    }
}

/// <summary>dX += dY with the middle axes swapped back.</summary>
internal sealed class SwapMiddleAxesOp : TapeOp
{
    public static readonly SwapMiddleAxesOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Tensor dy = node.Output(0).Grad;
        Shape s = dy.Shape;
        Transpose.SwapMiddleAxes(dy.Span, node.Input(0).Grad.Span, s[0], s[1], s[2], s[3], accumulate: true);
    }
}

/// <summary>Each part's gradient is its column block of dY.</summary>
internal sealed class ConcatOp : TapeOp
{
    public static readonly ConcatOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Tensor dy = node.Output(0).Grad;
        int rows = dy.Shape.Rows, total = dy.Shape.Last, offset = 0;
        for (int i = 0; i < node.InputCount; i++)
        {
            Var p = node.Input(i);
            int width = p.Shape.Last;
            if (p.RequiresGrad) ColumnSlice.Extract(dy.Span, p.Grad.Span, rows, total, offset, width, accumulate: true);
            offset += width;
        }
    }
}

/// <summary>dX's column block += dY.</summary>
internal sealed class SliceOp : TapeOp
{
    public static readonly SliceOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Tensor dx = node.Input(0).Grad, dy = node.Output(0).Grad;
        ColumnSlice.Insert(dy.Span, dx.Span, dx.Shape.Rows, dx.Shape.Last, node.Int0, dy.Shape.Last, accumulate: true);
    }
}

/// <summary>Each output's gradient (if any) goes to its column block of dX.</summary>
internal sealed class SplitOp : TapeOp
{
    public static readonly SplitOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Tensor dx = node.Input(0).Grad;
        int rows = dx.Shape.Rows, total = dx.Shape.Last;
        for (int i = 0; i < node.OutputCount; i++)
        {
            Var part = node.Output(i);
            if (!part.HasGrad) continue;
            int width = part.Shape.Last;
            ColumnSlice.Insert(part.Grad.Span, dx.Span, rows, total, i * width, width, accumulate: true);
        }
    }
}
