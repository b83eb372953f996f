using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Autograd;

public sealed partial class Tape
{
    /// <summary>RMSNorm over the last axis: y = x / sqrt(mean(x²) + eps) ∘ weight, weight [x.Last].</summary>
    /// <exception cref="ShapeMismatchException">weight is not [x.Last].</exception>
    public Var RmsNorm(Var x, Var weight, float eps)
    {
        bool grad = NeedsGrad(x, weight);
        Shape s = x.Shape;
        ShapeMismatchException.ThrowIf(weight.Shape != new Shape(s.Last), "RmsNorm weight", new Shape(s.Last), weight.Shape);
        Var y = NewVar(s, grad);
        Tensor invRms = Allocate(new Shape(s.Rows), zero: false);
        Tensors.Kernels.RmsNorm.Forward(x.Value.Span, weight.Value.Span, y.Value.Span, invRms.Span, s.Rows, s.Last, eps);
        if (grad) Record(RmsNormOp.Instance, [x, weight], [y]).Save(invRms);
        return y;
    }

    /// <summary>LayerNorm over the last axis: y = (x − mean)/sqrt(var + eps) ∘ weight + bias; weight and bias [x.Last], bias optional.</summary>
    /// <exception cref="ShapeMismatchException">weight or bias is not [x.Last].</exception>
    public Var LayerNorm(Var x, Var weight, Var? bias, float eps)
    {
        bool grad = NeedsGrad(x, weight, bias);
        Shape s = x.Shape, p = new(s.Last);
        ShapeMismatchException.ThrowIf(weight.Shape != p, "LayerNorm weight", p, weight.Shape);
        if (bias is not null) ShapeMismatchException.ThrowIf(bias.Shape != p, "LayerNorm bias", p, bias.Shape);
        Var y = NewVar(s, grad);
        Tensor mean = Allocate(new Shape(s.Rows), zero: false), rstd = Allocate(new Shape(s.Rows), zero: false);
        Tensors.Kernels.LayerNorm.Forward(x.Value.Span, weight.Value.Span, bias is null ? default : bias.Value.Span,
            y.Value.Span, mean.Span, rstd.Span, s.Rows, s.Last, eps);
        if (grad)
        {
            TapeNode node = bias is null ? Record(LayerNormOp.Instance, [x, weight], [y]) : Record(LayerNormOp.Instance, [x, weight, bias], [y]);
            node.Save(mean).Save(rstd);
        }
        return y;
    }

    /// <summary>SiLU, x·σ(x), elementwise.</summary>
    public Var Silu(Var x)
    {
        bool grad = NeedsGrad(x);
        Var y = NewVar(x.Shape, grad);
        Tensors.Kernels.Silu.Forward(x.Value.Span, y.Value.Span);
        if (grad) Record(SiluOp.Instance, [x], [y]);
        return y;
    }

    /// <summary>GELU, elementwise: exact (erf) or, when <paramref name="approximateTanh"/>, the tanh approximation.</summary>
    public Var Gelu(Var x, bool approximateTanh = false)
    {
        bool grad = NeedsGrad(x);
        Var y = NewVar(x.Shape, grad);
        Tensors.Kernels.Gelu.Forward(x.Value.Span, y.Value.Span, approximateTanh);
        if (grad) Record(GeluOp.Instance, [x], [y]).Int0 = approximateTanh ? 1 : 0;
        return y;
    }

    /// <summary>SwiGLU, silu(gate)∘up, for equal shapes.</summary>
    /// <exception cref="ShapeMismatchException">Shapes differ.</exception>
    public Var SwiGlu(Var gate, Var up)
    {
        bool grad = NeedsGrad(gate, up);
        ShapeMismatchException.ThrowIf(gate.Shape != up.Shape, "SwiGlu", gate.Shape, up.Shape);
        Var y = NewVar(gate.Shape, grad);
        Tensors.Kernels.SwiGlu.Forward(gate.Value.Span, up.Value.Span, y.Value.Span);
        if (grad) Record(SwiGluOp.Instance, [gate, up], [y]);
        return y;
    }

    /// <summary>
    /// Rotary position embedding (Hugging Face Llama rotate_half convention) of
    /// <paramref name="x"/> [..., tokens, heads, headDim] (rank 3 or 4; batch and sequence
    /// flattened into tokens), one position per token. Positions are not differentiable and are copied.
    /// </summary>
    /// <exception cref="ShapeMismatchException">x has rank below 3, or positions do not match the tokens.</exception>
    public Var Rope(Var x, ReadOnlySpan<int> positions, float theta)
    {
        bool grad = NeedsGrad(x);
        Shape s = x.Shape;
        if (s.Rank < 3) throw new ShapeMismatchException("Rope", "[..., tokens, heads, headDim]", s.ToString());
        int heads = s[-2], headDim = s.Last, tokens = s.Size / (heads * headDim);
        if (positions.Length != tokens)
            throw new ShapeMismatchException("Rope positions", $"{tokens} positions for x {s}", $"{positions.Length}");
        Var y = NewVar(s, grad);
        Tensors.Kernels.Rope.Forward(x.Value.Span, y.Value.Span, positions, tokens, heads, headDim, theta);
        if (grad)
        {
            TapeNode node = Record(RopeOp.Instance, [x], [y]);
            node.Ints = CopyInts(positions);
            node.Float0 = theta;
        }
        return y;
    }
}

/// <summary>RMSNorm backward from the saved inverse RMS.</summary>
internal sealed class RmsNormOp : TapeOp
{
    public static readonly RmsNormOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var x = node.Input(0), w = node.Input(1);
        Shape s = x.Shape;
        // The kernel computes both gradients in one pass; a constant side gets a scratch buffer.
        Span<float> dx = x.RequiresGrad ? x.Grad.Span : tape.Allocate(s).Span;
        Span<float> dw = w.RequiresGrad ? w.Grad.Span : tape.Allocate(w.Shape).Span;
        RmsNorm.Backward(x.Value.Span, w.Value.Span, node.Saved(0).Span, node.Output(0).Grad.Span, dx, dw, s.Rows, s.Last);
    }
}

/// <summary>LayerNorm backward from the saved mean and inverse standard deviation.</summary>
internal sealed class LayerNormOp : TapeOp
{
    public static readonly LayerNormOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var x = node.Input(0), w = node.Input(1);
        Var? b = node.InputCount > 2 ? node.Input(2) : null;
        Shape s = x.Shape;
        Span<float> dx = x.RequiresGrad ? x.Grad.Span : tape.Allocate(s).Span;
        Span<float> dw = w.RequiresGrad ? w.Grad.Span : tape.Allocate(w.Shape).Span;
        Span<float> db = b is null ? default : b.RequiresGrad ? b.Grad.Span : tape.Allocate(b.Shape).Span;
        LayerNorm.Backward(x.Value.Span, w.Value.Span, node.Saved(0).Span, node.Saved(1).Span, node.Output(0).Grad.Span,
            dx, dw, db, s.Rows, s.Last);
    }
}

/// <summary>dX += dY·σ(x)(1 + x(1 − σ(x))).</summary>
internal sealed class SiluOp : TapeOp
{
    public static readonly SiluOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var x = node.Input(0);
        Silu.Backward(x.Value.Span, node.Output(0).Grad.Span, x.Grad.Span);
    }
}

/// <summary>dX += dY·GELU'(x).</summary>
internal sealed class GeluOp : TapeOp
{
    public static readonly GeluOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var x = node.Input(0);
        Gelu.Backward(x.Value.Span, node.Output(0).Grad.Span, x.Grad.Span, node.Int0 != 0);
    }
}

/// <summary>dGate += dY·up·silu'(gate), dUp += dY·silu(gate).</summary>
internal sealed class SwiGluOp : TapeOp
{
    public static readonly SwiGluOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var gate = node.Input(0), up = node.Input(1);
        Span<float> dGate = gate.RequiresGrad ? gate.Grad.Span : tape.Allocate(gate.Shape).Span;
        Span<float> dUp = up.RequiresGrad ? up.Grad.Span : tape.Allocate(up.Shape).Span;
        SwiGlu.Backward(gate.Value.Span, up.Value.Span, node.Output(0).Grad.Span, dGate, dUp);
    }
}

/// <summary>dX += inverse rotation of dY.</summary>
internal sealed class RopeOp : TapeOp
{
    public static readonly RopeOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var x = node.Input(0);
        Shape s = x.Shape;
        int heads = s[-2], headDim = s.Last;
        Rope.Backward(node.Output(0).Grad.Span, x.Grad.Span, node.Ints.Span, s.Size / (heads * headDim), heads, headDim, node.Float0);
    }
}
