using System.Globalization;

namespace Switchyard.Training;

/// <summary>
/// Per-seed paired comparison of two arms trained on the same seeds: seeds change the data split
/// and batch order, which moves both arms together, so method − baseline on the same seed removes
/// that shared spread and is the sensitive comparison (the unpaired means keep it).
/// </summary>
/// <param name="Differences">Method − baseline final validation loss, one per paired seed, in seed order.</param>
public sealed record PairedDifference(IReadOnlyList<double> Differences)
{
    /// <summary>Pairs the per-seed losses of two rows (the first min(n_method, n_baseline) seeds; seed i of one with seed i of the other).</summary>
    public static PairedDifference Of(ComparisonRow method, ComparisonRow baseline)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(baseline);
        return Of(method.ValLosses, baseline.ValLosses);
    }

    /// <summary>Pairs two per-seed series (the first min(n_method, n_baseline) seeds; value i of one with value i of the other).</summary>
    public static PairedDifference Of(IReadOnlyList<double> method, IReadOnlyList<double> baseline)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(baseline);
        int n = Math.Min(method.Count, baseline.Count);
        var d = new double[n];
        for (int i = 0; i < n; i++) d[i] = method[i] - baseline[i];
        return new PairedDifference(d);
    }

    /// <summary>Number of paired seeds.</summary>
    public int Count => Differences.Count;

    /// <summary>Mean of the differences (negative: the method is better); NaN without pairs.</summary>
    public double Mean => Count == 0 ? double.NaN : Differences.Average();

    /// <summary>Sample standard deviation of the differences (0 with one pair).</summary>
    public double Std
    {
        get
        {
            if (Count < 2) return 0;
            double m = Mean;
            return Math.Sqrt(Differences.Sum(x => (x - m) * (x - m)) / (Count - 1));
        }
    }

    /// <summary>Whether a positive difference favours the method (a metric where higher is better); false for losses.</summary>
    public bool HigherIsBetter { get; init; }

    /// <summary>Seeds on which the method is better: a lower value than the baseline's, or a higher one when <see cref="HigherIsBetter"/>.</summary>
    public int SeedsFavouringMethod => Differences.Count(x => HigherIsBetter ? x > 0 : x < 0);

    /// <summary>One line, e.g. <c>paired −0.080 ± 0.053 (3 of 3 seeds favour the method)</c>.</summary>
    public override string ToString() => Count == 0 ? "paired: no per-seed losses"
        : string.Format(CultureInfo.InvariantCulture, "paired {0:+0.000;-0.000;0.000} ± {1:F3} ({2} of {3} seeds favour the method)",
            Mean, Std, SeedsFavouringMethod, Count);
}
