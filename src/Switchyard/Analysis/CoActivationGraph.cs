using Switchyard.Routing;

namespace Switchyard.Analysis;

/// <summary>
/// Expert co-activation of one MoE layer (Dynamic-DINO's analysis, shared/specs/token-routers.md §18a): how often two
/// experts are chosen for the same token. Feed it routing plans (<see cref="Add"/>); it counts every unordered pair of
/// kept experts of each token. Shallow layers that mix many partners show a high partner entropy; deep layers with
/// fixed cliques of 2–3 experts a low one.
/// </summary>
public sealed class CoActivationGraph
{
    readonly long[] _pairs;
    readonly long[] _uses;

    /// <summary>An empty graph over <paramref name="experts"/> experts.</summary>
    /// <exception cref="ArgumentOutOfRangeException">experts &lt; 1.</exception>
    public CoActivationGraph(int experts)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        Experts = experts;
        _pairs = new long[experts * experts];
        _uses = new long[experts];
    }

    /// <summary>Number of experts E.</summary>
    public int Experts { get; }

    /// <summary>Tokens counted so far.</summary>
    public long Tokens { get; private set; }

    /// <summary>Unordered expert pairs counted so far (a token with m kept experts adds m(m−1)/2).</summary>
    public long PairCount { get; private set; }

    /// <summary>Times experts <paramref name="a"/> and <paramref name="b"/> (a ≠ b) were kept for the same token; symmetric.</summary>
    public long Count(int a, int b) => _pairs[a * Experts + b];

    /// <summary>Tokens that kept expert <paramref name="e"/>.</summary>
    public long Uses(int e) => _uses[e];

    /// <summary>Counts the kept assignments of every token of <paramref name="plan"/>.</summary>
    /// <exception cref="ArgumentException">The plan has another number of experts.</exception>
    public void Add(RoutingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Experts != Experts) throw new ArgumentException($"the plan routes to {plan.Experts} experts, the graph has {Experts}", nameof(plan));
        ReadOnlySpan<int> offsets = plan.ItemOffsets, slots = plan.ItemSlot, expert = plan.Expert;
        for (int i = 0; i < plan.Items; i++)
        {
            int from = offsets[i], to = offsets[i + 1];
            for (int s = from; s < to; s++)
            {
                int a = expert[slots[s]];
                _uses[a]++;
                for (int t = s + 1; t < to; t++)
                {
                    int b = expert[slots[t]];
                    _pairs[a * Experts + b]++;
                    _pairs[b * Experts + a]++;
                    PairCount++;
                }
            }
        }
        Tokens += plan.Items;
    }

    /// <summary>Entropy (nats) of the distribution over unordered pairs: log(E(E−1)/2) when every pair is equally common, 0 for one pair.</summary>
    public double PairEntropy()
    {
        if (PairCount == 0) return 0;
        double h = 0;
        for (int a = 0; a < Experts; a++)
            for (int b = a + 1; b < Experts; b++)
                h -= Term(Count(a, b), PairCount);
        return h;
    }

    /// <summary>
    /// Entropy (nats) of expert <paramref name="e"/>'s partner distribution (its pair counts normalised): low when it
    /// always works with the same few experts; 0 when it has no partner.
    /// </summary>
    public double PartnerEntropy(int e)
    {
        long total = 0;
        for (int b = 0; b < Experts; b++) total += Count(e, b);
        if (total == 0) return 0;
        double h = 0;
        for (int b = 0; b < Experts; b++) h -= Term(Count(e, b), total);
        return h;
    }

    /// <summary>Partner entropy averaged over experts, each weighted by its pair count (the layer's "how fixed are the cliques" number).</summary>
    public double MeanPartnerEntropy()
    {
        double sum = 0, weight = 0;
        for (int e = 0; e < Experts; e++)
        {
            long w = 0;
            for (int b = 0; b < Experts; b++) w += Count(e, b);
            sum += w * PartnerEntropy(e);
            weight += w;
        }
        return weight == 0 ? 0 : sum / weight;
    }

    /// <summary>Expert <paramref name="e"/>'s <paramref name="top"/> most frequent partners with their counts, most frequent first (ties: lower id); partners never seen are left out.</summary>
    public IReadOnlyList<(int Expert, long Count)> TopPartners(int e, int top)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(top);
        return [.. Enumerable.Range(0, Experts).Where(b => b != e && Count(e, b) > 0)
            .OrderByDescending(b => Count(e, b)).ThenBy(b => b).Take(top).Select(b => (b, Count(e, b)))];
    }

    static double Term(long count, long total)
    {
        if (count == 0) return 0;
        double q = (double)count / total;
        return q * Math.Log(q);
    }
}
