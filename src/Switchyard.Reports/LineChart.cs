using System.Globalization;

namespace Switchyard.Reports;

/// <summary>
/// A line chart rendered to an <see cref="RgbImage"/>: title, axes with "nice" ticks (1, 2, 5 ×
/// 10ⁿ) and labels, light grid, one polyline per series and a legend in the top-right corner.
/// </summary>
public sealed class LineChart
{
    /// <summary>Title above the plot.</summary>
    public string Title { get; init; } = "";

    /// <summary>Label under the x axis.</summary>
    public string XLabel { get; init; } = "";

    /// <summary>Label above the y axis.</summary>
    public string YLabel { get; init; } = "";

    /// <summary>The series, drawn in order (later ones on top).</summary>
    public IList<ChartSeries> Series { get; } = new List<ChartSeries>();

    static readonly Rgb Axis = new(40, 40, 40), Grid = new(225, 225, 225), Frame = new(160, 160, 160);
    const int FontHeight = 7;

    /// <summary>Draws the chart into a new <paramref name="width"/> × <paramref name="height"/> image.</summary>
    /// <exception cref="ArgumentException">A series has different numbers of x and y values.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The image is smaller than 200 × 150.</exception>
    public RgbImage Render(int width = 800, int height = 500)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 200);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 150);
        foreach (var s in Series)
            if (s.X.Count != s.Y.Count) throw new ArgumentException($"series '{s.Name}' has {s.X.Count} x values but {s.Y.Count} y values", nameof(Series));

        var image = new RgbImage(width, height, Rgb.White);
        var (xMin, xMax) = Range(Series.SelectMany(s => s.X));
        var (yMin, yMax) = Range(Series.SelectMany(s => s.Y));
        double xStep = NiceStep(xMax - xMin), yStep = NiceStep(yMax - yMin);
        xMin = Math.Floor(xMin / xStep) * xStep; xMax = Math.Ceiling(xMax / xStep) * xStep;
        yMin = Math.Floor(yMin / yStep) * yStep; yMax = Math.Ceiling(yMax / yStep) * yStep;
        var yTicks = Ticks(yMin, yMax, yStep);
        var xTicks = Ticks(xMin, xMax, xStep);

        // Plot rectangle: room for the title and y label above, tick labels left and below, x label at the bottom.
        int left = 14 + yTicks.Max(t => RgbImage.TextWidth(Label(t, yStep))), right = width - 20;
        int top = 2 * FontHeight + 16 + (YLabel.Length > 0 ? FontHeight + 8 : 0), bottom = height - (XLabel.Length > 0 ? 36 : 22);
        double Px(double x) => left + (x - xMin) / (xMax - xMin) * (right - left);
        double Py(double y) => bottom - (y - yMin) / (yMax - yMin) * (bottom - top);

        image.DrawText((width - RgbImage.TextWidth(Title, 2)) / 2, 8, Title, Axis, scale: 2);
        if (YLabel.Length > 0) image.DrawText(Math.Max(2, left - 10), top - FontHeight - 8, YLabel, Axis);
        if (XLabel.Length > 0) image.DrawText((left + right - RgbImage.TextWidth(XLabel)) / 2, height - FontHeight - 6, XLabel, Axis);

        foreach (double t in yTicks)
        {
            int py = (int)Math.Round(Py(t));
            image.DrawLine(left, py, right, py, Grid);
            image.DrawLine(left - 4, py, left, py, Axis);
            string text = Label(t, yStep);
            image.DrawText(left - 7 - RgbImage.TextWidth(text), py - FontHeight / 2, text, Axis);
        }
        foreach (double t in xTicks)
        {
            int px = (int)Math.Round(Px(t));
            image.DrawLine(px, top, px, bottom, Grid);
            image.DrawLine(px, bottom, px, bottom + 4, Axis);
            string text = Label(t, xStep);
            image.DrawText(px - RgbImage.TextWidth(text) / 2, bottom + 8, text, Axis);
        }
        image.DrawLine(left, top, left, bottom, Axis);
        image.DrawLine(left, bottom, right, bottom, Axis);

        foreach (var s in Series)
        {
            (double X, double Y)? previous = null;
            for (int i = 0; i < s.X.Count; i++)
            {
                if (!double.IsFinite(s.X[i]) || !double.IsFinite(s.Y[i])) { previous = null; continue; }
                var p = (X: Px(s.X[i]), Y: Py(s.Y[i]));
                if (previous is { } q) image.DrawLine(q.X, q.Y, p.X, p.Y, s.Color, s.Thickness, s.Dashed ? 6 : 0);
                if (s.Markers) image.FillRect((int)Math.Round(p.X) - 2, (int)Math.Round(p.Y) - 2, 5, 5, s.Color);
                previous = p;
            }
        }
        DrawLegend(image, right);
        return image;
    }

    /// <summary>Renders and writes the chart as a PNG file, atomically.</summary>
    public void Save(string path, int width = 800, int height = 500) => PngWriter.Write(path, Render(width, height));

    void DrawLegend(RgbImage image, int right)
    {
        if (Series.Count == 0) return;
        const int Row = 14, Sample = 24, Pad = 6;
        int w = Pad * 3 + Sample + Series.Max(s => RgbImage.TextWidth(s.Name));
        int h = Pad * 2 + Row * Series.Count - (Row - FontHeight);
        int x = right - w - 8, y = 2 * FontHeight + 16 + (YLabel.Length > 0 ? FontHeight + 8 : 0) + 8;
        image.FillRect(x, y, w, h, Rgb.White);
        image.DrawLine(x, y, x + w, y, Frame); image.DrawLine(x, y + h, x + w, y + h, Frame);
        image.DrawLine(x, y, x, y + h, Frame); image.DrawLine(x + w, y, x + w, y + h, Frame);
        for (int i = 0; i < Series.Count; i++)
        {
            var s = Series[i];
            int cy = y + Pad + i * Row + FontHeight / 2;
            image.DrawLine(x + Pad, cy, x + Pad + Sample, cy, s.Color, s.Thickness, s.Dashed ? 6 : 0);
            if (s.Markers) image.FillRect(x + Pad + Sample / 2 - 2, cy - 2, 5, 5, s.Color);
            image.DrawText(x + Pad * 2 + Sample, cy - FontHeight / 2, s.Name, Axis);
        }
    }

    static (double Min, double Max) Range(IEnumerable<double> values)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in values)
            if (double.IsFinite(v)) { min = Math.Min(min, v); max = Math.Max(max, v); }
        if (min > max) return (0, 1); // no data: an empty unit frame
        if (min == max)
        {
            double pad = min == 0 ? 1 : Math.Abs(min) * 0.1;
            return (min - pad, max + pad);
        }
        return (min, max);
    }

    /// <summary>A step of 1, 2 or 5 × 10ⁿ giving about six intervals over <paramref name="span"/>.</summary>
    internal static double NiceStep(double span)
    {
        double raw = span / 6, magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double norm = raw / magnitude;
        return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
    }

    static List<double> Ticks(double min, double max, double step)
    {
        var ticks = new List<double>();
        for (int i = 0; min + i * step <= max + step * 1e-9; i++) ticks.Add(min + i * step);
        return ticks;
    }

    /// <summary>A tick label with as many decimals as the step needs (exponent form for very large or small values).</summary>
    internal static string Label(double value, double step)
    {
        if (Math.Abs(value) < step * 1e-9) value = 0; // no "-0" or 1e-17 from accumulated steps
        double magnitude = Math.Max(Math.Abs(value), step);
        if (magnitude >= 1e6 || step < 1e-4) return value.ToString("0.###e0", CultureInfo.InvariantCulture);
        int decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
        return value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }
}
