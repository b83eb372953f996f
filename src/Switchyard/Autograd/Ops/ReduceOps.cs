using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Autograd;

public sealed partial class Tape
{
    /// <summary>Σ of all elements: a scalar (rank 0).</summary>
    public Var Sum(Var x) => SumCore(x, 1f);

    /// <summary>Mean of all elements: a scalar (rank 0).</summary>
    public Var Mean(Var x) => SumCore(x, x.Shape.Size == 0 ? 0f : 1f / x.Shape.Size);

    /// <summary>Σ over the last axis: [..., n] → [...] (a rank-1 input gives a scalar).</summary>
    /// <exception cref="ShapeMismatchException">x is a scalar (rank 0).</exception>
    public Var SumLastAxis(Var x) => SumLastAxisCore(x, mean: false);

    /// <summary>Mean over the last axis: [..., n] → [...] (a rank-1 input gives a scalar).</summary>
    /// <exception cref="ShapeMismatchException">x is a scalar (rank 0).</exception>
    public Var MeanLastAxis(Var x) => SumLastAxisCore(x, mean: true);

    Var SumCore(Var x, float scale)
    {
        bool grad = NeedsGrad(x);
        Var y = NewVar(Scalar, grad);
        y.Value.Span[0] = scale * Reduce.Sum(x.Value.Span);
        if (grad) Record(SumOp.Instance, [x], [y]).Float0 = scale;
        return y;
    }

    Var SumLastAxisCore(Var x, bool mean)
    {
        bool grad = NeedsGrad(x);
        Shape s = x.Shape;
        if (s.Rank == 0) throw new ShapeMismatchException(mean ? "MeanLastAxis" : "SumLastAxis", "rank ≥ 1", s.ToString());
        Span<int> dims = stackalloc int[Shape.MaxRank];
        for (int i = 0; i < s.Rank - 1; i++) dims[i] = s[i];
        Var y = NewVar(new Shape(dims[..(s.Rank - 1)]), grad);
        int rows = s.Rows, cols = s.Last;
        Reduce.SumLastAxis(x.Value.Span, y.Value.Span, rows, cols);
        float scale = mean && cols > 0 ? 1f / cols : 1f;
        if (scale != 1f) Elementwise.Scale(y.Value.Span, scale, y.Value.Span);
        if (grad) Record(SumLastAxisOp.Instance, [x], [y]).Float0 = scale;
        return y;
    }
}

/// <summary>dX[i] += scale·dY.</summary>
internal sealed class SumOp : TapeOp
{
    public static readonly SumOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Span<float> dx = node.Input(0).Grad.Span;
        Reduce.AccumulateBroadcastLastAxis(node.Output(0).Grad.Span, dx, 1, dx.Length, node.Float0);
    }
}

/// <summary>dX[r, c] += scale·dY[r].</summary>
internal sealed class SumLastAxisOp : TapeOp
{
    public static readonly SumLastAxisOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Tensor dx = node.Input(0).Grad;
        Reduce.AccumulateBroadcastLastAxis(node.Output(0).Grad.Span, dx.Span, dx.Shape.Rows, dx.Shape.Last, node.Float0);
    }
}
