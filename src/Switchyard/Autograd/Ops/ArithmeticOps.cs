using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Autograd;

public sealed partial class Tape
{
    /// <summary>
    /// a + b, for equal shapes, or with <paramref name="b"/> a bias of shape [a.Last] broadcast over the rows of <paramref name="a"/>.
    /// </summary>
    /// <exception cref="ShapeMismatchException">Shapes neither match nor broadcast.</exception>
    public Var Add(Var a, Var b)
    {
        bool grad = NeedsGrad(a, b);
        Shape sa = a.Shape, sb = b.Shape;
        if (sa == sb)
        {
            Var y = NewVar(sa, grad);
            Elementwise.Add(a.Value.Span, b.Value.Span, y.Value.Span);
            if (grad) Record(AddOp.Instance, [a, b], [y]);
            return y;
        }
        ShapeMismatchException.ThrowIf(sb.Rank != 1 || sb[0] != sa.Last || sa.Rank < 1, "Add (same shape or row-broadcast bias)", sa, sb);
        Var r = NewVar(sa, grad);
        Elementwise.AddRowBroadcast(a.Value.Span, b.Value.Span, r.Value.Span, sa.Rows, sa.Last);
        if (grad) Record(AddBiasOp.Instance, [a, b], [r]);
        return r;
    }

    /// <summary>a − b, for equal shapes.</summary>
    /// <exception cref="ShapeMismatchException">Shapes differ.</exception>
    public Var Sub(Var a, Var b)
    {
        bool grad = NeedsGrad(a, b);
        ShapeMismatchException.ThrowIf(a.Shape != b.Shape, "Sub", a.Shape, b.Shape);
        Var y = NewVar(a.Shape, grad);
        Elementwise.Subtract(a.Value.Span, b.Value.Span, y.Value.Span);
        if (grad) Record(SubOp.Instance, [a, b], [y]);
        return y;
    }

    /// <summary>a ∘ b (elementwise product), for equal shapes.</summary>
    /// <exception cref="ShapeMismatchException">Shapes differ.</exception>
    public Var Mul(Var a, Var b)
    {
        bool grad = NeedsGrad(a, b);
        ShapeMismatchException.ThrowIf(a.Shape != b.Shape, "Mul", a.Shape, b.Shape);
        Var y = NewVar(a.Shape, grad);
        Elementwise.Multiply(a.Value.Span, b.Value.Span, y.Value.Span);
        if (grad) Record(MulOp.Instance, [a, b], [y]);
        return y;
    }

    /// <summary>s · x for a constant <paramref name="s"/>.</summary>
    public Var Scale(Var x, float s)
    {
        bool grad = NeedsGrad(x);
        Var y = NewVar(x.Shape, grad);
        Elementwise.Scale(x.Value.Span, s, y.Value.Span);
        if (grad) Record(ScaleOp.Instance, [x], [y]).Float0 = s;
        return y;
    }
}

/// <summary>dA += dY, dB += dY.</summary>
internal sealed class AddOp : TapeOp
{
    public static readonly AddOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var a = node.Input(0), b = node.Input(1);
        ReadOnlySpan<float> dy = node.Output(0).Grad.Span;
        if (a.RequiresGrad) Elementwise.Accumulate(dy, a.Grad.Span);
        if (b.RequiresGrad) Elementwise.Accumulate(dy, b.Grad.Span);
    }
}

/// <summary>dX += dY; dBias += column sums of dY.</summary>
internal sealed class AddBiasOp : TapeOp
{
    public static readonly AddBiasOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var x = node.Input(0), bias = node.Input(1);
        Tensor dy = node.Output(0).Grad;
        if (x.RequiresGrad) Elementwise.Accumulate(dy.Span, x.Grad.Span);
        if (bias.RequiresGrad) Reduce.AccumulateColumnSums(dy.Span, bias.Grad.Span, dy.Shape.Rows, dy.Shape.Last);
    }
}

/// <summary>dA += dY, dB −= dY.</summary>
internal sealed class SubOp : TapeOp
{
    public static readonly SubOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var a = node.Input(0), b = node.Input(1);
        ReadOnlySpan<float> dy = node.Output(0).Grad.Span;
        if (a.RequiresGrad) Elementwise.Accumulate(dy, a.Grad.Span);
        if (b.RequiresGrad) Elementwise.Accumulate(dy, b.Grad.Span, -1f);
    }
}

/// <summary>dA += dY∘B, dB += dY∘A.</summary>
internal sealed class MulOp : TapeOp
{
    public static readonly MulOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var a = node.Input(0), b = node.Input(1);
        ReadOnlySpan<float> dy = node.Output(0).Grad.Span;
        if (a.RequiresGrad) Elementwise.MultiplyAccumulate(dy, b.Value.Span, a.Grad.Span);
        if (b.RequiresGrad) Elementwise.MultiplyAccumulate(dy, a.Value.Span, b.Grad.Span);
    }
}

/// <summary>dX += s·dY.</summary>
internal sealed class ScaleOp : TapeOp
{
    public static readonly ScaleOp Instance = new();

    public override void Backward(Tape tape, TapeNode node) =>
        Elementwise.Accumulate(node.Output(0).Grad.Span, node.Input(0).Grad.Span, node.Float0);
}
