using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Routing.Selectors;

/// <summary>
/// Token choice: each item picks the k experts with the largest probability (plus an optional
/// selection-only bias), ties to the lower expert id (shared/specs/baselines.md §1, §4, §6).
/// Options: normalised weights (GShard/Mixtral, HF <c>norm_topk_prob</c>), capacity with
/// dropping by position or score, a scaling factor, and DeepSeek-V3's group-limited routing.
/// </summary>
public sealed class TopKSelector : ISelector
{
    float[] _values = [];
    float[] _topValues = [];
    int[] _topIndices = [];

    /// <summary>Creates a top-<paramref name="k"/> selector (dropless, weight = probability, no bias).</summary>
    /// <exception cref="ArgumentOutOfRangeException">k &lt; 1.</exception>
    public TopKSelector(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        K = k;
    }

    /// <inheritdoc/>
    public int K { get; }

    /// <summary>Normalise the selected probabilities to sum to 1 per item (then times <see cref="Scale"/>).</summary>
    public bool Normalize { get; init; }

    /// <summary>Weights are the constant <see cref="Scale"/>, not differentiable (hash routing).</summary>
    public bool ConstantWeights { get; init; }

    /// <summary>Multiplier on the weights (DeepSeek-V3 <c>routed_scaling_factor</c>). Default 1.</summary>
    public float Scale { get; init; } = 1f;

    /// <summary>Capacity factor: C = ceil(factor·k·N/E) per expert; 0 = dropless (the default).</summary>
    public float CapacityFactor
    {
        get;
        init => field = value >= 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(CapacityFactor), value, "must be ≥ 0 (0 = dropless)");
    }

    /// <summary>Which assignments an over-capacity expert keeps.</summary>
    public DropPolicy DropPolicy { get; init; }

    /// <summary>After drops, renormalise the kept weights of an item (default false, as Switch/GShard).</summary>
    public bool RenormalizeAfterDrop { get; init; }

    /// <summary>Selection-only bias (DeepSeek-V3), or null.</summary>
    public ExpertBias? Bias { get; init; }

    /// <summary>Group-limited routing: number of expert groups G (1 = off). E must be a multiple of G.</summary>
    public int Groups
    {
        get;
        init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Groups), value, "must be ≥ 1");
    } = 1;

    /// <summary>Group-limited routing: groups kept per item (<c>topk_group</c>), by the sum of their top-2 biased affinities.</summary>
    public int TopGroups
    {
        get;
        init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(TopGroups), value, "must be ≥ 1");
    } = 1;

    /// <inheritdoc/>
    public bool IsCausal => true;

    /// <inheritdoc/>
    public GateSpec Gate => new(ConstantWeights ? GateWeighting.Constant : Normalize ? GateWeighting.Normalized : GateWeighting.Probability,
        Scale, RenormalizeAfterDrop);

    /// <summary>Capacity per expert for <paramref name="items"/> items over <paramref name="experts"/> experts (0 = unlimited).</summary>
    public int CapacityFor(int items, int experts) =>
        CapacityFactor == 0 ? 0 : Math.Max(1, (int)Math.Ceiling((double)CapacityFactor * K * items / experts));

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">k &gt; E, the bias has another length, or the groups do not divide E.</exception>
    public void Select(Tensor probabilities, RoutingContext context, RoutingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(plan);
        int items = plan.Items, experts = plan.Slots; // null experts (ids ≥ plan.Experts) compete like any other
        if (K > experts) throw new ArgumentException($"k = {K} exceeds the {experts} experts", nameof(plan));
        if (Bias is not null && Bias.Experts != experts) throw new ArgumentException($"bias has {Bias.Experts} experts, the plan {experts}", nameof(plan));
        bool grouped = Groups > 1;
        if (grouped && (experts % Groups != 0 || TopGroups > Groups || K > TopGroups * (experts / Groups)))
            throw new ArgumentException($"group-limited routing needs E = {experts} divisible by groups = {Groups}, topk_group = {TopGroups} ≤ groups and k = {K} ≤ topk_group·E/groups", nameof(plan));

        ReadOnlySpan<float> p = probabilities.Span;
        ReadOnlySpan<float> values = p;
        if (Bias is not null || grouped)
        {
            Grow(ref _values, items * experts);
            Span<float> v = _values.AsSpan(0, items * experts);
            p.CopyTo(v);
            if (Bias is not null)
                for (int i = 0; i < items; i++)
                {
                    Span<float> row = v.Slice(i * experts, experts);
                    for (int e = 0; e < experts; e++) row[e] += Bias.Values[e];
                }
            if (grouped)
                for (int i = 0; i < items; i++) MaskGroups(v.Slice(i * experts, experts));
            values = v;
        }

        Grow(ref _topValues, items * K);
        Grow(ref _topIndices, items * K);
        Span<int> idx = _topIndices.AsSpan(0, items * K);
        TopK.Rows(values, items, experts, K, idx, _topValues.AsSpan(0, items * K));
        for (int i = 0; i < items; i++)
            for (int j = 0; j < K; j++)
            {
                int e = idx[i * K + j];
                // Score priority is the unbiased gate value (the bias only steers selection).
                plan.Add(i, e, p[i * experts + e]);
            }
        plan.SetCapacity(CapacityFor(items, experts), DropPolicy);
    }

    // DeepSeek-V3: keep the topk_group groups whose two best affinities sum highest; the rest
    // cannot be chosen. Ties go to the lower group id.
    void MaskGroups(Span<float> row)
    {
        int size = row.Length / Groups;
        Span<float> score = stackalloc float[Groups];
        Span<bool> keep = stackalloc bool[Groups];
        for (int g = 0; g < Groups; g++)
        {
            float best = float.NegativeInfinity, second = float.NegativeInfinity;
            foreach (float v in row.Slice(g * size, size))
            {
                if (v > best) { second = best; best = v; }
                else if (v > second) second = v;
            }
            score[g] = size == 1 ? best : best + second;
        }
        keep.Clear();
        for (int t = 0; t < TopGroups; t++)
        {
            int arg = -1;
            for (int g = 0; g < Groups; g++)
                if (!keep[g] && (arg < 0 || score[g] > score[arg])) arg = g;
            keep[arg] = true;
        }
        for (int g = 0; g < Groups; g++)
            if (!keep[g]) row.Slice(g * size, size).Fill(float.NegativeInfinity);
    }

    static void Grow<T>(ref T[] a, int size)
    {
        if (a.Length < size) a = new T[Math.Max(size, a.Length * 2)];
    }
}
