using Switchyard.Tensors;

namespace Switchyard.Routing;

/// <summary>
/// Per-call routing metrics every run reports per MoE layer (shared/specs/baselines.md,
/// "Metrics"): load per expert, its coefficient of variation and max/mean, dropped fraction,
/// experts per item (mean and histogram), router entropy and each auxiliary loss. One object
/// per router, overwritten by each call; computing it allocates nothing once warm.
/// </summary>
public sealed class RoutingStatistics
{
    float[] _load = [];
    int[] _histogram = [];
    readonly AuxLossValue[] _aux = new AuxLossValue[8];

    /// <summary>Items routed in the last call.</summary>
    public int Items { get; private set; }

    /// <summary>Experts E.</summary>
    public int Experts { get; private set; }

    /// <summary>Kept assignments in the last call.</summary>
    public int Assignments { get; private set; }

    /// <summary>[E] fraction of the kept assignments that went to each expert (sums to 1 when any were kept).</summary>
    public ReadOnlySpan<float> Load => _load.AsSpan(0, Experts);

    /// <summary>Coefficient of variation of <see cref="Load"/>: population std / mean (0 = perfect balance).</summary>
    public float LoadCv { get; private set; }

    /// <summary>max / mean of <see cref="Load"/> (1 = perfect balance).</summary>
    public float LoadMaxOverMean { get; private set; }

    /// <summary>Dropped / selected assignments (0 when dropless).</summary>
    public float DroppedFraction { get; private set; }

    /// <summary>
    /// Mean number of kept (active, computing) experts per item: the <c>activeExpertsPerToken</c> statistic
    /// (with <see cref="ExpertsPerItemMin"/>, <see cref="ExpertsPerItemMax"/>, <see cref="ExpertsPerItemHistogram"/>).
    /// Null experts and dropped assignments are not counted.
    /// </summary>
    public float ExpertsPerItemMean { get; private set; }

    /// <summary>Fewest kept experts of any item in the last call (0 when there were no items).</summary>
    public int ExpertsPerItemMin { get; private set; }

    /// <summary>Most kept experts of any item in the last call.</summary>
    public int ExpertsPerItemMax { get; private set; }

    /// <summary>Null-expert selections / all selections (0 without null experts).</summary>
    public float NullFraction { get; private set; }

    /// <summary>[E+1] number of items with 0, 1, ..., E kept experts.</summary>
    public ReadOnlySpan<int> ExpertsPerItemHistogram => _histogram.AsSpan(0, Experts + 1);

    /// <summary>
    /// Mean over items of −Σ p log p (natural log) of the router distribution; for sigmoid
    /// affinities, of the affinities normalised per item (as DeepSeek-V3's s′).
    /// </summary>
    public float Entropy { get; private set; }

    /// <summary>Number of auxiliary losses recorded in the last call.</summary>
    public int AuxLossCount { get; private set; }

    /// <summary>The recorded auxiliary losses.</summary>
    public ReadOnlySpan<AuxLossValue> AuxLosses => _aux.AsSpan(0, AuxLossCount);

    /// <summary>Records an auxiliary loss (raw value and coefficient); balancers call this.</summary>
    /// <exception cref="InvalidOperationException">More than 8 losses in one call.</exception>
    public void AddAuxLoss(string name, float value, float coefficient)
    {
        if (AuxLossCount == _aux.Length) throw new InvalidOperationException("at most 8 auxiliary losses per routing call");
        _aux[AuxLossCount++] = new AuxLossValue(name, value, coefficient);
    }

    /// <summary>Recomputes every metric from a finished plan and its probabilities [N, E]; clears the auxiliary losses.</summary>
    public void Compute(RoutingPlan plan, Tensor probabilities)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(probabilities);
        int items = plan.Items, experts = plan.Experts, n = plan.Count;
        Items = items; Experts = experts; Assignments = n;
        AuxLossCount = 0;
        if (_load.Length < experts) _load = new float[experts];
        if (_histogram.Length < experts + 1) _histogram = new int[experts + 1];

        ReadOnlySpan<int> off = plan.Offsets;
        Span<float> load = _load.AsSpan(0, experts);
        double mean = 1.0 / experts, var = 0, max = 0;
        for (int e = 0; e < experts; e++)
        {
            double f = n == 0 ? 0 : (double)(off[e + 1] - off[e]) / n;
            load[e] = (float)f;
            var += (f - mean) * (f - mean);
            max = Math.Max(max, f);
        }
        LoadCv = n == 0 ? 0f : (float)(Math.Sqrt(var / experts) / mean);
        LoadMaxOverMean = n == 0 ? 0f : (float)(max / mean);
        DroppedFraction = plan.SelectedCount == 0 ? 0f : (float)plan.DroppedCount / plan.SelectedCount;

        Span<int> hist = _histogram.AsSpan(0, experts + 1);
        hist.Clear();
        ReadOnlySpan<int> io = plan.ItemOffsets;
        int min = items == 0 ? 0 : int.MaxValue, maxCount = 0;
        for (int i = 0; i < items; i++)
        {
            int c = io[i + 1] - io[i];
            hist[c]++;
            min = Math.Min(min, c);
            maxCount = Math.Max(maxCount, c);
        }
        ExpertsPerItemMean = items == 0 ? 0f : (float)n / items;
        ExpertsPerItemMin = min;
        ExpertsPerItemMax = maxCount;
        int all = plan.SelectedCount + plan.NullSelectedCount;
        NullFraction = all == 0 ? 0f : (float)plan.NullSelectedCount / all;
        int slots = plan.Slots; // probability columns, null experts included

        double entropy = 0;
        ReadOnlySpan<float> p = probabilities.Span;
        for (int i = 0; i < items; i++)
        {
            ReadOnlySpan<float> row = p.Slice(i * slots, slots);
            double sum = 0, h = 0;
            foreach (float v in row) sum += v;
            if (!(sum > 0)) continue;
            foreach (float v in row)
            {
                double q = v / sum;
                if (q > 0) h -= q * Math.Log(q);
            }
            entropy += h;
        }
        Entropy = items == 0 ? 0f : (float)(entropy / items);
    }

    /// <summary>The raw value of the auxiliary loss named <paramref name="name"/>, or NaN when not recorded.</summary>
    public float AuxLoss(string name)
    {
        foreach (var a in AuxLosses) if (a.Name == name) return a.Value;
        return float.NaN;
    }
}
