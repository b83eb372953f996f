using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Routing.Scorers;

/// <summary>
/// A scorer without parameters: every expert scores 0 (softmax: 1/E each). For routers whose selector
/// ignores scores (THOR's random selection); statistics then report the uniform entropy log E.
/// </summary>
public sealed class UniformScorer(int experts) : IScorer
{
    /// <inheritdoc/>
    public int Experts { get; } = experts > 0 ? experts : throw new ArgumentOutOfRangeException(nameof(experts), experts, "must be positive");

    /// <inheritdoc/>
    public GateActivation Activation => GateActivation.Softmax;

    /// <inheritdoc/>
    public Var Score(Tape tape, Var x, RoutingContext context)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        return tape.Constant(tape.Allocate(new Shape(x.Shape.Rows, Experts), zero: true));
    }
}
