using Switchyard.Tensors;

namespace Switchyard.Autograd;

/// <summary>
/// A value recorded on a <see cref="Tape"/>: its <see cref="Value"/> tensor and, when it
/// <see cref="RequiresGrad"/>, its gradient. Vars are pooled by the tape and valid only until
/// <see cref="Tape.Reset"/>; do not keep them across steps.
/// </summary>
public sealed class Var
{
    Tape _tape;
    Tensor _value;
    Tensor? _grad;
    int _generation;

    internal Var(Tape tape) { _tape = tape; _value = null!; }

    /// <summary>The value (for a constant or a leaf, the caller's tensor itself; otherwise arena storage).</summary>
    public Tensor Value { get { Check(); return _value; } }

    /// <summary>Shape of <see cref="Value"/>.</summary>
    public Shape Shape => Value.Shape;

    /// <summary>Whether a gradient flows to this value (it depends on a leaf or variable while recording).</summary>
    public bool RequiresGrad { get; private set; }

    /// <summary>Whether this is a leaf whose gradient accumulates into a caller-owned tensor (<see cref="Tape.Leaf"/>).</summary>
    public bool IsLeaf { get; private set; }

    /// <summary>Whether a gradient tensor exists yet (some op downstream has sent gradient here).</summary>
    public bool HasGrad => _grad is not null;

    /// <summary>
    /// dLoss/dValue. After <see cref="Tape.Backward"/> it holds the gradient (zeros if nothing
    /// reached this value). During backward, ops accumulate into it: the first access allocates
    /// a zeroed tensor from the tape's arena (for a leaf it is the caller's tensor).
    /// </summary>
    /// <exception cref="InvalidOperationException">The Var does not require a gradient.</exception>
    public Tensor Grad
    {
        get
        {
            Check();
            if (!RequiresGrad) throw new InvalidOperationException("this Var does not require a gradient (a constant, or recorded with recording off)");
            return _grad ??= _tape.Arena.Allocate(_value.Shape, zero: true);
        }
    }

    /// <summary>The tape that recorded this value.</summary>
    public Tape Tape => _tape;

    internal void Init(Tensor value, bool requiresGrad, bool isLeaf, Tensor? grad, int generation)
    {
        _value = value;
        RequiresGrad = requiresGrad;
        IsLeaf = isLeaf;
        _grad = grad;
        _generation = generation;
    }

    internal int Generation => _generation;

    void Check()
    {
        if (_generation != _tape.Generation)
            throw new InvalidOperationException("this Var belongs to a step that ended with Tape.Reset; Vars cannot be used across steps");
    }

    /// <inheritdoc/>
    public override string ToString() => _generation == _tape.Generation
        ? $"Var{_value.Shape}{(RequiresGrad ? " grad" : "")}"
        : "Var(reset)";
}
