using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Routing.Balancers;

/// <summary>
/// The Switch load-balancing loss computed per pool (MoIIE: per modality router; ProMoE: over the routed tokens only,
/// shared/specs/token-routers.md §8, §13): for each pool g with items T_g and candidate experts C_g,
/// <c>L_g = |C_g|·Σ_{e∈C_g} f_{g,e}·P_{g,e}</c>, f from the selections of g's items (switch: share of g's selections,
/// Σf = 1; mixtral: count/|T_g|, Σf = k), P the mean probability over g's items; <c>L = α·Σ_g L_g</c>. Unequal
/// token counts across modalities then cannot skew one global balance. Pools in <see cref="Excluded"/> (hard-routed
/// tokens) add nothing. Recorded as <c>pool_balance</c>; L = α per balanced pool at perfect balance (switch convention).
/// </summary>
public sealed class GroupedSwitchAux : IBalancer
{
    int[] _pool = [], _count = [], _items = [], _selected = [];

    /// <summary>Creates the loss with coefficient <paramref name="alpha"/> over the pools of <paramref name="pools"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">alpha is negative or not finite.</exception>
    public GroupedSwitchAux(float alpha, IExpertPools pools, LoadBalanceConvention convention = LoadBalanceConvention.Switch)
    {
        ArgumentNullException.ThrowIfNull(pools);
        if (!(alpha >= 0) || !float.IsFinite(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "must be ≥ 0");
        Alpha = alpha;
        Pools = pools;
        Convention = convention;
    }

    /// <summary>The coefficient α.</summary>
    public float Alpha { get; }

    /// <summary>The pools.</summary>
    public IExpertPools Pools { get; }

    /// <summary>How f is normalised.</summary>
    public LoadBalanceConvention Convention { get; }

    /// <summary>Pools left out of the loss (ProMoE's hard-routed role tokens: their experts see only them).</summary>
    public IReadOnlyList<int> Excluded { get; init; } = [];

    /// <inheritdoc/>
    public string Name => "pool_balance";

    /// <inheritdoc/>
    public Var? Loss(Tape tape, in BalancerInput input, RoutingStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(statistics);
        RoutingPlan plan = input.Plan;
        int items = plan.Items, experts = plan.Slots, pools = Pools.Pools;
        if (items == 0) return null;
        Grow(ref _pool, items);
        Grow(ref _count, pools * experts);
        Grow(ref _items, pools);
        Grow(ref _selected, pools);
        Span<int> pool = _pool.AsSpan(0, items), count = _count.AsSpan(0, pools * experts), n = _items.AsSpan(0, pools), sel = _selected.AsSpan(0, pools);
        count.Clear(); n.Clear(); sel.Clear();
        ReadOnlySpan<int> so = plan.SelectedOffsets, se = plan.SelectedExpert;
        for (int i = 0; i < items; i++)
        {
            int g = pool[i] = Pools.PoolOf(input.Context, i);
            n[g]++;
            for (int m = so[i]; m < so[i + 1]; m++) { count[g * experts + se[m]]++; sel[g]++; }
        }
        // W[t, e] = |C_g|·f_{g,e}/|T_g| for t in g and e in C_g, so Σ p∘W = Σ_g |C_g|·Σ_e f_{g,e}·P_{g,e}.
        Tensor w = tape.Allocate(new Shape(items, experts), zero: true);
        Span<float> ws = w.Span;
        for (int i = 0; i < items; i++)
        {
            int g = pool[i];
            if (IsExcluded(g)) continue;
            double norm = Convention == LoadBalanceConvention.Switch ? Math.Max(1, sel[g]) : n[g];
            int allowed = Pools.AllowedCount(g);
            for (int e = 0; e < experts; e++)
                if (Pools.Allows(g, e)) ws[i * experts + e] = (float)(allowed * (count[g * experts + e] / norm) / n[g]);
        }
        Var raw = tape.Sum(tape.Mul(input.Probabilities, tape.Constant(w)));
        statistics.AddAuxLoss(Name, raw.Value.Span[0], Alpha);
        return tape.Scale(raw, Alpha);
    }

    bool IsExcluded(int pool)
    {
        foreach (int x in Excluded) if (x == pool) return true;
        return false;
    }

    static void Grow(ref int[] a, int size)
    {
        if (a.Length < size) a = new int[Math.Max(size, a.Length * 2)];
    }
}
