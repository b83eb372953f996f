using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Autograd;

public sealed partial class Tape
{
    /// <summary>Softmax over the last axis.</summary>
    public Var Softmax(Var x)
    {
        bool grad = NeedsGrad(x);
        Shape s = x.Shape;
        Var y = NewVar(s, grad);
        Tensors.Kernels.Softmax.Forward(x.Value.Span, y.Value.Span, s.Rows, s.Last);
        if (grad) Record(SoftmaxOp.Instance, [x], [y]);
        return y;
    }

    /// <summary>Log-softmax over the last axis.</summary>
    public Var LogSoftmax(Var x)
    {
        bool grad = NeedsGrad(x);
        Shape s = x.Shape;
        Var y = NewVar(s, grad);
        Tensors.Kernels.LogSoftmax.Forward(x.Value.Span, y.Value.Span, s.Rows, s.Last);
        if (grad) Record(LogSoftmaxOp.Instance, [x], [y]);
        return y;
    }

    /// <summary>
    /// Mean cross-entropy (nats) of <paramref name="logits"/> [..., classes] against one target
    /// class per row; rows whose target is <paramref name="ignoreIndex"/> are left out of the mean.
    /// Returns a scalar. The targets are copied, so the caller's buffer may be reused.
    /// </summary>
    /// <exception cref="ShapeMismatchException">targets.Length differs from the number of rows.</exception>
    public Var CrossEntropy(Var logits, ReadOnlySpan<int> targets, int ignoreIndex = -1)
    {
        bool grad = NeedsGrad(logits);
        Shape s = logits.Shape;
        if (targets.Length != s.Rows)
            throw new ShapeMismatchException("CrossEntropy targets", $"{s.Rows} targets for logits {s}", $"{targets.Length}");
        Tensor probs = Allocate(s, zero: false);
        Var loss = NewVar(Scalar, grad);
        loss.Value.Span[0] = Tensors.Kernels.CrossEntropy.Forward(logits.Value.Span, targets, probs.Span, s.Rows, s.Last, ignoreIndex);
        if (grad)
        {
            TapeNode node = Record(CrossEntropyOp.Instance, [logits], [loss]).Save(probs);
            node.Ints = CopyInts(targets);
            node.Int0 = ignoreIndex;
        }
        return loss;
    }

    /// <summary>
    /// Indices of the <paramref name="k"/> largest values of each row of <paramref name="x"/>,
    /// descending, ties to the lower index: [rows·k] in step storage (valid until <see cref="Reset"/>).
    /// Not differentiable (selection); gather the chosen values with a differentiable op.
    /// </summary>
    public ReadOnlyMemory<int> TopK(Var x, int k)
    {
        CheckOwn(x);
        Shape s = x.Shape;
        Memory<int> indices = AllocateInts(s.Rows * k, zero: false);
        Tensor values = Allocate(new Shape(s.Rows * k), zero: false);
        Tensors.Kernels.TopK.Rows(x.Value.Span, s.Rows, s.Last, k, indices.Span, values.Span);
        return indices;
    }
}

/// <summary>dX += y∘(dY − Σ dY∘y), from the output.</summary>
internal sealed class SoftmaxOp : TapeOp
{
    public static readonly SoftmaxOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var y = node.Output(0);
        Shape s = y.Shape;
        Softmax.Backward(y.Value.Span, y.Grad.Span, node.Input(0).Grad.Span, s.Rows, s.Last);
    }
}

/// <summary>dX += dY − softmax·Σ dY, from the output.</summary>
internal sealed class LogSoftmaxOp : TapeOp
{
    public static readonly LogSoftmaxOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var y = node.Output(0);
        Shape s = y.Shape;
        LogSoftmax.Backward(y.Value.Span, y.Grad.Span, node.Input(0).Grad.Span, s.Rows, s.Last);
    }
}

/// <summary>dLogits += (probs − onehot)·dLoss / count, from the saved probabilities.</summary>
internal sealed class CrossEntropyOp : TapeOp
{
    public static readonly CrossEntropyOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var logits = node.Input(0);
        Shape s = logits.Shape;
        float dLoss = node.Output(0).Grad.Span[0];
        CrossEntropy.Backward(node.Saved(0).Span, node.Ints.Span, dLoss, logits.Grad.Span, s.Rows, s.Last, node.Int0);
    }
}
