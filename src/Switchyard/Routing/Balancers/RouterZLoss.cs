using Switchyard.Autograd;

namespace Switchyard.Routing.Balancers;

/// <summary>
/// ST-MoE router z-loss (arXiv 2202.08906): <c>L = β·(1/N)·Σ_t (log Σ_j exp h_{t,j})²</c> on the
/// logits h, penalising large logits. The logsumexp is the stable <c>h − log_softmax(h)</c>
/// (any column; the mean over columns keeps the exact gradient). Recorded as <c>z_loss</c>.
/// </summary>
public sealed class RouterZLoss : IBalancer
{
    /// <summary>Creates the loss with coefficient <paramref name="beta"/> (ST-MoE 0.001).</summary>
    /// <exception cref="ArgumentOutOfRangeException">beta is negative or not finite.</exception>
    public RouterZLoss(float beta = 0.001f)
    {
        if (!(beta >= 0) || !float.IsFinite(beta)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "must be ≥ 0");
        Beta = beta;
    }

    /// <summary>The coefficient β.</summary>
    public float Beta { get; }

    /// <inheritdoc/>
    public string Name => "z_loss";

    /// <inheritdoc/>
    public Var? Loss(Tape tape, in BalancerInput input, RoutingStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(statistics);
        Var h = input.Logits;
        if (h.Shape.Rows == 0) return null;
        Var lse = tape.MeanLastAxis(tape.Sub(h, tape.LogSoftmax(h)));
        Var raw = tape.Mean(tape.Mul(lse, lse));
        statistics.AddAuxLoss(Name, raw.Value.Span[0], Beta);
        return tape.Scale(raw, Beta);
    }
}
