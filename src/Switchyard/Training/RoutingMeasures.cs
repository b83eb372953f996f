namespace Switchyard.Training;

/// <summary>
/// Routing measures the method reproductions record per run: task purity (normalised mutual information between a
/// label and the chosen expert) and the divergence between groups' expert distributions. Computed in double.
/// </summary>
public static class RoutingMeasures
{
    /// <summary>
    /// NMI(a; b) = 2·I(a; b) / (H(a) + H(b)) in [0, 1] over paired observations (negative entries skipped): 1 when
    /// each label maps to its own expert, 0 when the expert says nothing about the label; 0 when both are constant.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static double NormalizedMutualInformation(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"{a.Length} labels but {b.Length} experts", nameof(b));
        var joint = new Dictionary<(int, int), int>();
        var pa = new Dictionary<int, int>();
        var pb = new Dictionary<int, int>();
        int n = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] < 0 || b[i] < 0) continue;
            joint[(a[i], b[i])] = joint.GetValueOrDefault((a[i], b[i])) + 1;
            pa[a[i]] = pa.GetValueOrDefault(a[i]) + 1;
            pb[b[i]] = pb.GetValueOrDefault(b[i]) + 1;
            n++;
        }
        if (n == 0) return 0;
        double ha = Entropy(pa.Values, n), hb = Entropy(pb.Values, n), mi = 0;
        foreach (var ((x, y), c) in joint)
            mi += (double)c / n * Math.Log((double)c * n / ((double)pa[x] * pb[y]));
        return ha + hb <= 0 ? 0 : Math.Clamp(2 * mi / (ha + hb), 0, 1);
    }

    /// <summary>
    /// Mean Jensen–Shannon divergence (nats, in [0, ln 2]) over all pairs of the given distributions (each a count or
    /// probability vector over the same experts, normalised here); groups with no mass are skipped; 0 with fewer than two.
    /// </summary>
    public static double MeanPairwiseJsDivergence(IReadOnlyList<double[]> distributions)
    {
        ArgumentNullException.ThrowIfNull(distributions);
        var p = distributions.Where(d => d.Sum() > 0).Select(d => { double s = d.Sum(); return d.Select(v => v / s).ToArray(); }).ToList();
        if (p.Count < 2) return 0;
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < p.Count; i++)
            for (int j = i + 1; j < p.Count; j++)
            {
                sum += JsDivergence(p[i], p[j]);
                pairs++;
            }
        return sum / pairs;
    }

    /// <summary>JS(p, q) = ½KL(p‖m) + ½KL(q‖m), m = (p + q)/2, for normalised p and q (nats).</summary>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static double JsDivergence(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        if (p.Length != q.Length) throw new ArgumentException($"{p.Length} vs {q.Length} entries", nameof(q));
        double js = 0;
        for (int e = 0; e < p.Length; e++)
        {
            double m = 0.5 * (p[e] + q[e]);
            if (p[e] > 0) js += 0.5 * p[e] * Math.Log(p[e] / m);
            if (q[e] > 0) js += 0.5 * q[e] * Math.Log(q[e] / m);
        }
        return Math.Max(0, js);
    }

    static double Entropy(IEnumerable<int> counts, int n)
    {
        double h = 0;
        foreach (int c in counts) h -= (double)c / n * Math.Log((double)c / n);
        return h;
    }
}
