using Switchyard.Autograd;
using Switchyard.Routing.Scorers;
using Switchyard.Tensors;

namespace Switchyard.Routing.Balancers;

/// <summary>
/// Shazeer-style balance loss as in T2MIR's token-wise MoE (arXiv 2506.05426; reference <c>TopKBalancedNoisyGate</c>):
/// <c>L = α·(CV²(importance) + CV²(load))</c>. importance_e = Σ_t gate weight of e (the kept, normalised top-k
/// weights, differentiable); load_e = the smooth noisy top-k load (<see cref="NoisyTopKLoad"/>) when the scorer added
/// noise in this call and k &lt; E, else the count of tokens routed to e (no gradient, as the reference).
/// Recorded as <c>cv_squared</c>.
/// </summary>
public sealed class CvSquaredLoss : IBalancer
{
    readonly MlpScorer? _noisy;

    /// <summary>Creates the loss with coefficient <paramref name="alpha"/> (T2MIR 0.01); <paramref name="noisyScorer"/> supplies the smooth load.</summary>
    /// <exception cref="ArgumentOutOfRangeException">alpha is negative or not finite.</exception>
    public CvSquaredLoss(float alpha = 0.01f, MlpScorer? noisyScorer = null)
    {
        if (!(alpha >= 0) || !float.IsFinite(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "must be ≥ 0");
        Alpha = alpha;
        _noisy = noisyScorer;
    }

    /// <summary>The coefficient α.</summary>
    public float Alpha { get; }

    /// <inheritdoc/>
    public string Name => "cv_squared";

    /// <inheritdoc/>
    public Var? Loss(Tape tape, in BalancerInput input, RoutingStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(statistics);
        RoutingPlan plan = input.Plan;
        int experts = plan.Experts;
        if (plan.Items == 0 || plan.Gates is null) return null;
        // importance_e = Σ over e's slots of the gate: the gates [n] scattered by expert.
        Var gates = tape.Reshape(plan.Gates, new Shape(plan.Count, 1));
        Var importance = tape.ScatterAdd(gates, plan.Expert, null, experts);
        Var load;
        int k = input.Selector.K;
        if (_noisy?.LastNoise is { } n && k < experts && n.Clean.Shape[0] == plan.Items)
            load = NoisyTopKLoad.Apply(tape, n.Clean, n.Std, n.Noise, k);
        else
        {
            Tensor counts = tape.Allocate(new Shape(experts), zero: true);
            Span<float> c = counts.Span;
            ReadOnlySpan<int> off = plan.Offsets;
            for (int e = 0; e < experts; e++) c[e] = off[e + 1] - off[e];
            load = tape.Constant(counts);
        }
        Var raw = tape.Add(CvSquared.Apply(tape, importance), CvSquared.Apply(tape, load));
        statistics.AddAuxLoss(Name, raw.Value.Span[0], Alpha);
        return tape.Scale(raw, Alpha);
    }
}
