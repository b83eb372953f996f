using Switchyard.Autograd;

namespace Switchyard.Routing.Balancers;

/// <summary>
/// ProMoE's routing contrastive loss (RCL, arXiv 2510.24711, shared/specs/token-routers.md §8), InfoNCE over the
/// prototypes: for a token t routed to expert e (its first choice),
/// <c>L_t = −log [exp(cos(x_t, p_e)/τ) / Σ_j exp(cos(x_t, p_j)/τ)]</c>, <c>L = β·mean_t L_t</c>. It pulls each token
/// towards its expert's prototype and pushes it from the others (intra-expert coherence, inter-expert diversity).
/// The logits must be the scorer's cos/τ (<see cref="Scorers.PrototypeCosineScorer"/>); masked experts (role split)
/// have probability 0 and drop out of the denominator. Tokens of <see cref="Excluded"/> pools (hard-routed) are left
/// out. Recorded as <c>rcl</c>.
/// </summary>
/// <remarks>
/// The positive set is the routed expert only: the paper's class-label-guided positives have no counterpart in the
/// bundled LM data and are not implemented. Gradient reaches both the prototypes and the token representations.
/// </remarks>
public sealed class RoutingContrastiveLoss : IBalancer
{
    int[] _targets = [];

    /// <summary>Creates the loss with coefficient <paramref name="beta"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">beta is negative or not finite.</exception>
    public RoutingContrastiveLoss(float beta, IExpertPools? pools = null)
    {
        if (!(beta >= 0) || !float.IsFinite(beta)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "must be ≥ 0");
        Beta = beta;
        Pools = pools;
    }

    /// <summary>The coefficient β.</summary>
    public float Beta { get; }

    /// <summary>The pools that <see cref="Excluded"/> refers to, or null (every token counts).</summary>
    public IExpertPools? Pools { get; }

    /// <summary>Pools whose tokens are left out (hard-routed role tokens).</summary>
    public IReadOnlyList<int> Excluded { get; init; } = [];

    /// <inheritdoc/>
    public string Name => "rcl";

    /// <inheritdoc/>
    public Var? Loss(Tape tape, in BalancerInput input, RoutingStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(statistics);
        RoutingPlan plan = input.Plan;
        int items = plan.Items, counted = 0;
        if (items == 0) return null;
        if (_targets.Length < items) _targets = new int[Math.Max(items, 2 * _targets.Length)];
        Span<int> targets = _targets.AsSpan(0, items);
        ReadOnlySpan<int> so = plan.SelectedOffsets, se = plan.SelectedExpert;
        for (int i = 0; i < items; i++)
        {
            bool skip = so[i] == so[i + 1] || (Pools is not null && Excluded.Contains(Pools.PoolOf(input.Context, i)));
            targets[i] = skip ? -1 : se[so[i]];
            if (!skip) counted++;
        }
        if (counted == 0) return null;
        Var raw = tape.CrossEntropy(input.Logits, targets, ignoreIndex: -1);
        statistics.AddAuxLoss(Name, raw.Value.Span[0], Beta);
        return tape.Scale(raw, Beta);
    }
}
