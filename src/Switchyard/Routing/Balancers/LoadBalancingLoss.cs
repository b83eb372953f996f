using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Routing.Balancers;

/// <summary>
/// Switch/GShard load-balancing loss (shared/specs/baselines.md §2):
/// <c>L = α·E·Σ_i f_i·P_i</c>, f from the selected assignments (before capacity; not
/// differentiable), P_i the mean probability of expert i over all N items of the call (global,
/// not per sequence). The gradient flows through P. Recorded as <c>load_balance</c>.
/// With null experts (AdaMoE, arXiv 2406.13233) the sum runs over all E+N slots, f counting the
/// null selections too, and the factor is E+N: the loss then steers the average null usage.
/// </summary>
public sealed class LoadBalancingLoss : IBalancer
{
    /// <summary>Creates the loss with coefficient <paramref name="alpha"/> (Switch/OLMoE 0.01; HF Mixtral 0.001 with the Mixtral convention).</summary>
    /// <exception cref="ArgumentOutOfRangeException">alpha is negative or not finite.</exception>
    public LoadBalancingLoss(float alpha = 0.01f, LoadBalanceConvention convention = LoadBalanceConvention.Switch)
    {
        if (!(alpha >= 0) || !float.IsFinite(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "must be ≥ 0");
        Alpha = alpha;
        Convention = convention;
    }

    /// <summary>The coefficient α.</summary>
    public float Alpha { get; }

    /// <summary>How f is normalised.</summary>
    public LoadBalanceConvention Convention { get; }

    /// <inheritdoc/>
    public string Name => "load_balance";

    /// <inheritdoc/>
    public Var? Loss(Tape tape, in BalancerInput input, RoutingStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(statistics);
        RoutingPlan plan = input.Plan;
        int items = plan.Items, experts = plan.Slots; // null experts are slots of their own
        if (items == 0) return null;
        // W[t, i] = E·f_i / N, so Σ p∘W = E·Σ_i f_i·P_i with P_i = (1/N)·Σ_t p[t, i].
        Tensor w = tape.Allocate(new Shape(items, experts), zero: true);
        Span<float> row = w.Span[..experts];
        foreach (int e in plan.SelectedExpert) row[e] += 1f;
        ReadOnlySpan<int> nullLoad = plan.NullLoad;
        for (int j = 0; j < nullLoad.Length; j++) row[plan.Experts + j] += nullLoad[j];
        double norm = Convention == LoadBalanceConvention.Switch ? Math.Max(1, plan.SelectedCount + plan.NullSelectedCount) : items;
        for (int e = 0; e < experts; e++) row[e] = (float)(experts * (row[e] / norm) / items);
        for (int i = 1; i < items; i++) row.CopyTo(w.Span.Slice(i * experts, experts));
        Var raw = tape.Sum(tape.Mul(input.Probabilities, tape.Constant(w)));
        statistics.AddAuxLoss(Name, raw.Value.Span[0], Alpha);
        return tape.Scale(raw, Alpha);
    }
}
