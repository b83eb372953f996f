using Switchyard.Tensors;

namespace Switchyard.Routing.Selectors;

/// <summary>
/// Dynamic top-p routing ("Harder Tasks Need More Experts", arXiv 2403.07652): per item, the
/// fewest top experts whose probability mass reaches p, <c>t = min{ j : Σ_{i≤j} P_(i) ≥ p }</c>
/// (the expert that crosses p is included, as the reference code re-admits it), so
/// 1 ≤ |S| ≤ <see cref="MaxK"/>. Weights are the raw probabilities, not renormalised over S
/// (the paper's parity rule: the output scale follows the router's confidence). Ties go to the
/// lower expert id; the mass is accumulated in float32 and at least one expert is always taken.
/// </summary>
public sealed class TopPSelector : ISelector
{
    bool[] _taken = [];

    /// <summary>Creates the selector with threshold <paramref name="p"/> (paper 0.4) and at most <paramref name="maxK"/> experts per item (0 = E).</summary>
    /// <exception cref="ArgumentOutOfRangeException">p outside (0, 1] or maxK &lt; 0.</exception>
    public TopPSelector(float p, int maxK = 0)
    {
        P = p is > 0f and <= 1f ? p : throw new ArgumentOutOfRangeException(nameof(p), p, "must be in (0, 1]");
        MaxK = maxK >= 0 ? maxK : throw new ArgumentOutOfRangeException(nameof(maxK), maxK, "must be ≥ 0 (0 = all experts)");
    }

    /// <summary>The probability mass threshold p.</summary>
    public float P { get; }

    /// <summary>Most experts an item may take (0 = E).</summary>
    public int MaxK { get; }

    /// <summary>Nominal k: 1 (the count varies per item; balancers and statistics count actual assignments).</summary>
    public int K => 1;

    /// <inheritdoc/>
    public bool IsCausal => true;

    /// <inheritdoc/>
    public GateSpec Gate => new(GateWeighting.Probability);

    /// <inheritdoc/>
    public void Select(Tensor probabilities, RoutingContext context, RoutingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(plan);
        int items = plan.Items, experts = plan.Slots;
        int cap = MaxK == 0 ? experts : Math.Min(MaxK, experts);
        if (_taken.Length < experts) _taken = new bool[experts];
        Span<bool> taken = _taken.AsSpan(0, experts);
        ReadOnlySpan<float> p = probabilities.Span;
        for (int i = 0; i < items; i++)
        {
            ReadOnlySpan<float> row = p.Slice(i * experts, experts);
            taken.Clear();
            float mass = 0f;
            // Repeated arg-max: the kept set is usually 1-3 experts, so this beats a full sort.
            for (int j = 0; j < cap && (j == 0 || mass < P); j++)
            {
                int best = -1;
                for (int e = 0; e < experts; e++)
                    if (!taken[e] && (best < 0 || row[e] > row[best])) best = e;
                taken[best] = true;
                plan.Add(i, best, row[best]);
                mass += row[best];
            }
        }
    }
}
