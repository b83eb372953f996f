using Switchyard.Autograd;

namespace Switchyard.Routing.Balancers;

/// <summary>
/// Router-entropy loss (dynamic loss of "Harder Tasks Need More Experts", arXiv 2403.07652):
/// <c>L = β·(1/N)·Σ_t −Σ_e P_{t,e} log P_{t,e}</c>, minimised, so the router grows confident instead
/// of spreading mass to activate every expert under top-p. log P is the stable log-softmax of the
/// logits, so the scorer must use <see cref="GateActivation.Softmax"/>. Recorded as <c>entropy</c>.
/// </summary>
public sealed class EntropyLoss : IBalancer
{
    /// <summary>Creates the loss with coefficient <paramref name="beta"/> (paper 1e-4).</summary>
    /// <exception cref="ArgumentOutOfRangeException">beta is negative or not finite.</exception>
    public EntropyLoss(float beta = 1e-4f)
    {
        if (!(beta >= 0) || !float.IsFinite(beta)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "must be ≥ 0");
        Beta = beta;
    }

    /// <summary>The coefficient β.</summary>
    public float Beta { get; }

    /// <inheritdoc/>
    public string Name => "entropy";

    /// <inheritdoc/>
    public Var? Loss(Tape tape, in BalancerInput input, RoutingStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(statistics);
        if (input.Probabilities.Shape.Rows == 0) return null;
        Var h = input.Logits;
        int items = h.Shape.Rows;
        Var raw = tape.Scale(tape.Sum(tape.Mul(input.Probabilities, tape.LogSoftmax(h))), -1f / items);
        statistics.AddAuxLoss(Name, raw.Value.Span[0], Beta);
        return tape.Scale(raw, Beta);
    }
}
