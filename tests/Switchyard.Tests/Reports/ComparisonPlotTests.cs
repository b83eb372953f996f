using Switchyard.Reports;
using Switchyard.Training;

namespace Switchyard.Tests.Reports;

public sealed class ComparisonPlotTests
{
    [Fact]
    public void Ema_FirstValue_IsUnbiasedAndConstantsStayConstant()
    {
        double[] s = ComparisonPlot.Ema([4, 4, 4, 4], 0.9);
        Assert.All(s, v => Assert.Equal(4, v, 12));
        Assert.Equal(2, ComparisonPlot.Ema([2, 10], 0.9)[0], 12);
    }

    [Fact]
    public void Write_TwoRows_WritesPngWithBothRoutersColours()
    {
        // Given two routers' curves
        static ComparisonRow Row(string name, double offset) => new(name, 1, 3 + offset, 0, 2, 1e5, 0.1, 0, 1000, ["x"],
            [.. Enumerable.Range(0, 50).Select(i => 5.5 - i * 0.04 + offset)], [(25, 4.6 + offset), (50, 3.6 + offset)]);
        string dir = Path.Combine(Path.GetTempPath(), $"switchyard-plot-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            // When the plot is written
            string path = ComparisonPlot.Write(dir, [Row("top-k", 0), Row(RouterComparison.Dense, 0.3)], 50);

            // Then loss.png decodes and holds each router's validation colour
            Assert.Equal(Path.Combine(dir, ComparisonPlot.FileName), path);
            var (w, h, rgb) = PngWriterTests.Decode(File.ReadAllBytes(path));
            for (int series = 0; series < 2; series++)
            {
                Rgb c = Rgb.Series(series);
                bool found = false;
                for (int i = 0; i < w * h && !found; i++) found = rgb[3 * i] == c.R && rgb[3 * i + 1] == c.G && rgb[3 * i + 2] == c.B;
                Assert.True(found, $"colour of series {series} missing");
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
