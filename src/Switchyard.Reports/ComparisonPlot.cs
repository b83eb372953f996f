using Switchyard.Training;

namespace Switchyard.Reports;

/// <summary>
/// The loss-curve plot of a router comparison (<c>loss.png</c> in its directory): per router, the
/// training loss smoothed by a bias-corrected EMA (thin, light) and the validation loss (thick, with
/// markers), each the mean over the seeds, against step.
/// </summary>
public static class ComparisonPlot
{
    /// <summary>The plot's file name inside the comparison directory.</summary>
    public const string FileName = "loss.png";

    /// <summary>EMA decay of the training-loss smoothing (per step).</summary>
    public const double Smoothing = 0.9;

    /// <summary>The chart of <paramref name="rows"/> (one colour per router, in row order).</summary>
    public static LineChart Chart(IReadOnlyList<ComparisonRow> rows, int steps)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int seeds = rows.Count == 0 ? 0 : rows.Max(r => r.Seeds);
        var chart = new LineChart
        {
            Title = $"loss by router ({steps} steps, mean of {seeds} seed{(seeds == 1 ? "" : "s")})",
            XLabel = "step",
            YLabel = "loss (nats/token)",
        };
        for (int i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            Rgb color = Rgb.Series(i);
            double[] x = [.. Enumerable.Range(1, r.TrainCurve.Count).Select(s => (double)s)];
            chart.Series.Add(new ChartSeries($"{r.Router} train (EMA)", x, Ema(r.TrainCurve, Smoothing), color.Lighten(0.35), Thickness: 1));
            chart.Series.Add(new ChartSeries($"{r.Router} validation", [.. r.ValidationCurve.Select(p => (double)p.Step)],
                [.. r.ValidationCurve.Select(p => p.Loss)], color, Thickness: 2, Markers: true));
        }
        return chart;
    }

    /// <summary>Writes <see cref="FileName"/> into <paramref name="directory"/> (atomically) and returns its path.</summary>
    public static string Write(string directory, IReadOnlyList<ComparisonRow> rows, int steps)
    {
        string path = Path.Combine(directory, FileName);
        Chart(rows, steps).Save(path);
        return path;
    }

    /// <summary>Exponential moving average with bias correction (so early steps are not pulled toward 0).</summary>
    internal static double[] Ema(IReadOnlyList<double> values, double decay)
    {
        var smoothed = new double[values.Count];
        double avg = 0, weight = 1;
        for (int i = 0; i < values.Count; i++)
        {
            avg = decay * avg + (1 - decay) * values[i];
            weight *= decay;
            smoothed[i] = avg / (1 - weight);
        }
        return smoothed;
    }
}
