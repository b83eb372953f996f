using Switchyard.Reports;

namespace Switchyard.Tests.Reports;

public sealed class LineChartTests
{
    static bool HasPixel(RgbImage image, Rgb color, int x0 = 0, int x1 = int.MaxValue)
    {
        for (int y = 0; y < image.Height; y++)
            for (int x = Math.Max(0, x0); x < Math.Min(image.Width, x1); x++)
                if (image[x, y] == color) return true;
        return false;
    }

    [Fact]
    public void Render_TwoSeries_EachSeriesColourIsDrawnAndSurvivesPngRoundTrip()
    {
        // Given two series in distinct palette colours
        var chart = new LineChart { Title = "loss", XLabel = "step", YLabel = "nats" };
        chart.Series.Add(new ChartSeries("a", [1, 2, 3, 4], [5.0, 4.0, 3.5, 3.2], Rgb.Series(0)));
        chart.Series.Add(new ChartSeries("b", [1, 2, 3, 4], [5.5, 3.0, 2.5, 2.4], Rgb.Series(1), Markers: true));

        // When it is rendered and encoded
        RgbImage image = chart.Render(400, 300);
        var (w, h, rgb) = PngWriterTests.Decode(PngWriter.Encode(image));

        // Then both colours appear in the plot area (left of the legend), and the PNG decodes to the same pixels
        Assert.True(HasPixel(image, Rgb.Series(0), 60, 250), "series a not drawn");
        Assert.True(HasPixel(image, Rgb.Series(1), 60, 250), "series b not drawn");
        Assert.Equal((400, 300), (w, h));
        Assert.Equal(image.Pixels.ToArray(), rgb);
    }

    [Fact]
    public void Render_NoSeriesOrNonFinitePoints_StillDraws()
    {
        var chart = new LineChart { Title = "empty" };
        Assert.Equal(200, chart.Render(200, 150).Width);
        chart.Series.Add(new ChartSeries("nan", [1, 2, 3], [double.NaN, 1, double.PositiveInfinity], Rgb.Series(2), Markers: true));
        Assert.True(HasPixel(chart.Render(300, 200), Rgb.Series(2)));
    }

    [Fact]
    public void Render_MismatchedLengths_Throws()
    {
        var chart = new LineChart();
        chart.Series.Add(new ChartSeries("bad", [1, 2], [1], Rgb.Black));
        var e = Assert.Throws<ArgumentException>(() => chart.Render());
        Assert.Contains("bad", e.Message);
    }

    [Theory]
    [InlineData(0.5, 0.1, "0.5")]
    [InlineData(1200, 200, "1200")]
    [InlineData(-0.25, 0.05, "-0.25")]
    [InlineData(1e-17, 0.5, "0.0")]
    [InlineData(3e-5, 1e-5, "3e-5")]
    public void Label_Values_UseTheDecimalsTheStepNeeds(double value, double step, string expected) =>
        Assert.Equal(expected, LineChart.Label(value, step));

    [Theory]
    [InlineData(6, 1)]
    [InlineData(1200, 200)]
    [InlineData(2.6, 0.5)]
    [InlineData(0.03, 0.005)]
    public void NiceStep_Spans_AreOneTwoOrFiveTimesAPowerOfTen(double span, double expected) =>
        Assert.Equal(expected, LineChart.NiceStep(span), 12);

    [Fact]
    public void DrawText_UnknownCharacter_DrawsTheFallbackGlyph()
    {
        var a = new RgbImage(20, 10, Rgb.White);
        var b = new RgbImage(20, 10, Rgb.White);
        a.DrawText(1, 1, "\u263A", Rgb.Black);
        b.DrawText(1, 1, "?", Rgb.Black);
        Assert.Equal(b.Pixels.ToArray(), a.Pixels.ToArray());
    }
}
