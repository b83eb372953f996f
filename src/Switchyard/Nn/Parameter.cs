using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Nn;

/// <summary>
/// A trainable tensor of a <see cref="Module"/>: its value and the gradient that backward
/// passes accumulate into. The name is local to the owning module (<c>weight</c>,
/// <c>bias</c>); <see cref="Module.NamedParameters"/> builds the full Hugging Face name.
/// </summary>
public sealed class Parameter
{
    Tensor? _grad;

    /// <summary>Creates a zero-filled parameter of the given shape.</summary>
    /// <exception cref="ArgumentException">The name is empty or contains a dot.</exception>
    public Parameter(string name, Shape shape) : this(name, new Tensor(shape)) { }

    /// <summary>Wraps <paramref name="value"/> (not copied) as a parameter.</summary>
    /// <exception cref="ArgumentException">The name is empty or contains a dot.</exception>
    public Parameter(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Module.ValidateLocalName(name, nameof(name));
        Name = name;
        Value = value;
    }

    /// <summary>
    /// Wraps <paramref name="value"/> with a caller-provided gradient tensor (neither copied): for
    /// parameters that are views into a larger buffer (stacked expert weights), so that the
    /// gradient a fused kernel writes into the stack is this parameter's <see cref="Grad"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty or contains a dot.</exception>
    /// <exception cref="ShapeMismatchException">The gradient's shape differs from the value's.</exception>
    internal Parameter(string name, Tensor value, Tensor grad) : this(name, value)
    {
        ArgumentNullException.ThrowIfNull(grad);
        ShapeMismatchException.ThrowIf(grad.Shape != value.Shape, "Parameter gradient", value.Shape, grad.Shape);
        _grad = grad;
    }

    /// <summary>Local name within the owning module, e.g. <c>weight</c>.</summary>
    public string Name { get; }

    /// <summary>The parameter's value.</summary>
    public Tensor Value { get; }

    /// <summary>Shape of <see cref="Value"/>.</summary>
    public Shape Shape => Value.Shape;

    /// <summary>
    /// The accumulated gradient, same shape as <see cref="Value"/>. Allocated (zeroed) on first
    /// use, so that frozen or inference-only parameters cost no gradient memory.
    /// </summary>
    public Tensor Grad => _grad ??= new Tensor(Value.Shape);

    /// <summary>Whether <see cref="Grad"/> has been allocated.</summary>
    public bool HasGrad => _grad is not null;

    /// <summary>
    /// Whether training updates this parameter. Frozen parameters (a LoRA base layer) enter
    /// the tape as constants, get no gradient and are skipped by optimizers and clipping.
    /// </summary>
    public bool Trainable { get; set; } = true;

    /// <summary>
    /// Whether decoupled weight decay applies. Norm weights and biases turn it off at
    /// creation, as common LLM recipes exclude them.
    /// </summary>
    public bool WeightDecay { get; set; } = true;

    /// <summary>
    /// Enters this parameter on <paramref name="tape"/>: a leaf whose gradient accumulates into
    /// <see cref="Grad"/> when trainable, otherwise a constant (no gradient work at all).
    /// </summary>
    public Var Use(Tape tape)
    {
        ArgumentNullException.ThrowIfNull(tape);
        return Trainable ? tape.Leaf(Value, Grad) : tape.Constant(Value);
    }

    /// <summary>Sets the gradient to zero (a no-op when none was allocated).</summary>
    public void ZeroGrad() => _grad?.Span.Clear();

    /// <inheritdoc/>
    public override string ToString() => $"{Name}{Shape}";
}
