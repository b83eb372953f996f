using Switchyard.Tensors.Kernels;

namespace Switchyard.Autograd;

public sealed partial class Tape
{
    /// <summary>σ(x) = 1 / (1 + e^−x), elementwise.</summary>
    public Var Sigmoid(Var x)
    {
        bool grad = NeedsGrad(x);
        Var y = NewVar(x.Shape, grad);
        Tensors.Kernels.Sigmoid.Forward(x.Value.Span, y.Value.Span);
        if (grad) Record(SigmoidOp.Instance, [x], [y]);
        return y;
    }

    /// <summary>tanh(x), elementwise.</summary>
    public Var Tanh(Var x)
    {
        bool grad = NeedsGrad(x);
        Var y = NewVar(x.Shape, grad);
        Tensors.Kernels.Tanh.Forward(x.Value.Span, y.Value.Span);
        if (grad) Record(TanhOp.Instance, [x], [y]);
        return y;
    }

    /// <summary>e^x, elementwise.</summary>
    public Var Exp(Var x)
    {
        bool grad = NeedsGrad(x);
        Var y = NewVar(x.Shape, grad);
        Tensors.Kernels.Exp.Forward(x.Value.Span, y.Value.Span);
        if (grad) Record(ExpOp.Instance, [x], [y]);
        return y;
    }

    /// <summary>ln x, elementwise.</summary>
    public Var Log(Var x)
    {
        bool grad = NeedsGrad(x);
        Var y = NewVar(x.Shape, grad);
        Tensors.Kernels.Log.Forward(x.Value.Span, y.Value.Span);
        if (grad) Record(LogOp.Instance, [x], [y]);
        return y;
    }

    /// <summary>x clamped to [<paramref name="min"/>, <paramref name="max"/>]; the gradient is zero outside the range.</summary>
    /// <exception cref="ArgumentException">min &gt; max.</exception>
    public Var Clamp(Var x, float min, float max)
    {
        bool grad = NeedsGrad(x);
        Var y = NewVar(x.Shape, grad);
        Tensors.Kernels.Clamp.Forward(x.Value.Span, y.Value.Span, min, max);
        if (grad)
        {
            TapeNode node = Record(ClampOp.Instance, [x], [y]);
            node.Float0 = min;
            node.Float1 = max;
        }
        return y;
    }
}

/// <summary>dX += dY·y(1−y), from the output.</summary>
internal sealed class SigmoidOp : TapeOp
{
    public static readonly SigmoidOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var y = node.Output(0);
        Sigmoid.Backward(y.Value.Span, y.Grad.Span, node.Input(0).Grad.Span);
    }
}

/// <summary>dX += dY·(1−y²), from the output.</summary>
internal sealed class TanhOp : TapeOp
{
    public static readonly TanhOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var y = node.Output(0);
        Tanh.Backward(y.Value.Span, y.Grad.Span, node.Input(0).Grad.Span);
    }
}

/// <summary>dX += dY·y, from the output.</summary>
internal sealed class ExpOp : TapeOp
{
    public static readonly ExpOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var y = node.Output(0);
        Exp.Backward(y.Value.Span, y.Grad.Span, node.Input(0).Grad.Span);
    }
}

/// <summary>dX += dY / x.</summary>
internal sealed class LogOp : TapeOp
{
    public static readonly LogOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var x = node.Input(0);
        Log.Backward(x.Value.Span, node.Output(0).Grad.Span, x.Grad.Span);
    }
}

/// <summary>dX += dY inside [min, max].</summary>
internal sealed class ClampOp : TapeOp
{
    public static readonly ClampOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var x = node.Input(0);
        Clamp.Backward(x.Value.Span, node.Output(0).Grad.Span, x.Grad.Span, node.Float0, node.Float1);
    }
}
