using Switchyard.Tensors;

namespace Switchyard.Routing.Selectors;

/// <summary>
/// Top-k within a candidate set per item (shared/specs/token-routers.md §8, §13): each item takes the
/// min(k, |C(pool)|) most probable experts its pool allows (<see cref="IExpertPools"/>), ties to the lower expert id;
/// experts outside the set are never selected, whatever their probability. Weights are the selected probabilities
/// renormalised to sum to 1 (MoIIE's renormalised top-k; ProMoE's softmax over the selected scores). Dropless.
/// </summary>
/// <remarks>
/// The scorer is expected to have masked the non-candidates before the softmax (their probability is then 0); the
/// selector enforces the set on its own as well, so the guarantee does not rest on a probability underflowing.
/// A pool with fewer than k experts gives its items fewer (ProMoE's role tokens: one dedicated expert, weight 1).
/// </remarks>
public sealed class MaskedTopKSelector : ISelector
{
    /// <summary>Creates the selector.</summary>
    /// <exception cref="ArgumentOutOfRangeException">k &lt; 1.</exception>
    public MaskedTopKSelector(int k, IExpertPools pools)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        ArgumentNullException.ThrowIfNull(pools);
        K = k;
        Pools = pools;
    }

    /// <inheritdoc/>
    public int K { get; }

    /// <summary>The candidate sets.</summary>
    public IExpertPools Pools { get; }

    /// <inheritdoc/>
    public bool IsCausal => true;

    /// <inheritdoc/>
    public GateSpec Gate => new(GateWeighting.Normalized, 1f, false);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The plan's experts differ from the pools'.</exception>
    public void Select(Tensor probabilities, RoutingContext context, RoutingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(plan);
        int items = plan.Items, experts = plan.Slots;
        if (experts != Pools.Experts) throw new ArgumentException($"the pools cover {Pools.Experts} experts, the plan {experts}", nameof(plan));
        ReadOnlySpan<float> p = probabilities.Span;
        Span<bool> taken = experts <= 256 ? stackalloc bool[experts] : new bool[experts];
        for (int i = 0; i < items; i++)
        {
            int pool = Pools.PoolOf(context, i);
            int k = Math.Min(K, Pools.AllowedCount(pool));
            ReadOnlySpan<float> row = p.Slice(i * experts, experts);
            taken.Clear();
            // Repeated arg-max over the candidates (k is small): strict '>' keeps ties on the lower id.
            for (int j = 0; j < k; j++)
            {
                int best = -1;
                for (int e = 0; e < experts; e++)
                    if (!taken[e] && Pools.Allows(pool, e) && (best < 0 || row[e] > row[best])) best = e;
                taken[best] = true;
                plan.Add(i, best, row[best]);
            }
        }
    }
}
