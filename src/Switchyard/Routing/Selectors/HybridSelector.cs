using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Routing.Selectors;

/// <summary>
/// ApolloMoE's hybrid routing (arXiv 2410.10626, FreedomIntelligence/ApolloMoE): top-k of the router's
/// probabilities, and, <b>in training only</b>, when the token's language (or language-family) expert ℓ(t) is not
/// among them, ℓ(t) replaces the k-th (lowest) choice. Weights are the raw probabilities P_e of the chosen experts
/// (<c>norm_topk_prob = false</c>) unless <see cref="Normalize"/>. At inference the learned router is used alone:
/// no language id is read.
/// </summary>
/// <remarks>
/// ℓ(t) = id mod E, the id from <see cref="RoutingContext.LanguageIds"/> or <see cref="RoutingContext.LanguageFamilyIds"/>
/// (<see cref="Group"/>): ids index the data's sorted language codes or family names, so with more groups than
/// experts several share one (the reference ties each of its E = 12 experts to one language by an explicit list).
/// Tokens without a language (id &lt; 0: synthetic tasks, padding) are routed by the router alone.
/// </remarks>
public sealed class HybridSelector : ISelector
{
    float[] _topValues = [];
    int[] _topIndices = [];

    /// <summary>Creates the selector: top-<paramref name="k"/>, experts tied to <paramref name="group"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">k &lt; 1.</exception>
    public HybridSelector(int k, LanguageGroup group)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        K = k;
        Group = group;
    }

    /// <inheritdoc/>
    public int K { get; }

    /// <summary>Which id picks the forced expert.</summary>
    public LanguageGroup Group { get; }

    /// <summary>Renormalise the chosen probabilities to sum to 1 (default false, the reference's <c>norm_topk_prob</c>).</summary>
    public bool Normalize { get; init; }

    /// <inheritdoc/>
    public bool IsCausal => true;

    /// <inheritdoc/>
    public GateSpec Gate => new(Normalize ? GateWeighting.Normalized : GateWeighting.Probability, 1f, false);

    /// <summary>The expert tied to item <paramref name="item"/> in <paramref name="context"/>, or -1 (no id, or not training).</summary>
    public int ForcedExpert(RoutingContext context, int item, int experts)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!context.Training) return -1; // inference: the learned router alone
        ReadOnlySpan<int> ids = (Group == LanguageGroup.Family ? context.LanguageFamilyIds : context.LanguageIds).Span;
        if ((uint)item >= (uint)ids.Length || ids[item] < 0) return -1;
        return ids[item] % experts;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">k &gt; E.</exception>
    public void Select(Tensor probabilities, RoutingContext context, RoutingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(plan);
        int items = plan.Items, experts = plan.Slots;
        if (K > experts) throw new ArgumentException($"k = {K} exceeds the {experts} experts", nameof(plan));
        if (_topValues.Length < items * K) { _topValues = new float[items * K]; _topIndices = new int[items * K]; }
        Span<int> idx = _topIndices.AsSpan(0, items * K);
        ReadOnlySpan<float> p = probabilities.Span;
        TopK.Rows(p, items, experts, K, idx, _topValues.AsSpan(0, items * K));
        for (int i = 0; i < items; i++)
        {
            Span<int> chosen = idx.Slice(i * K, K);
            int forced = ForcedExpert(context, i, experts);
            if (forced >= 0 && !chosen.Contains(forced)) chosen[K - 1] = forced; // replaces the lowest choice
            foreach (int e in chosen) plan.Add(i, e, p[i * experts + e]);
        }
    }
}
