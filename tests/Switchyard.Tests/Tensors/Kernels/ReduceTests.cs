using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;
using static Switchyard.Tests.Tensors.Kernels.ElementwiseTestData;

namespace Switchyard.Tests.Tensors.Kernels;

public class ReduceTests
{
    public static TheoryData<SimdWidth, int> Cases() => WidthsAndLengths();

    [Theory, MemberData(nameof(Cases))]
    public void Sums_EachWidth_MatchReference(SimdWidth width, int cols)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(71);
        const int rows = 5;
        float[] x = Rand.Floats(rng, rows * cols);
        double[] xd = Rand.ToDouble(x);

        double total = 0;
        foreach (double v in xd) total += v;
        Assert.Equal(total, Reduce.Sum(x, width), 1e-5 * (1 + Math.Abs(total)));

        float[] y = new float[rows];
        double[] e = new double[rows];
        Reduce.SumLastAxis(x, y, rows, cols, width);
        Reduce.ReferenceSumLastAxis<double>(xd, e, rows, cols);
        AssertClose(e, y);

        float[] colSums = Rand.Floats(rng, cols);
        double[] ec = Rand.ToDouble(colSums);
        Reduce.AccumulateColumnSums(x, colSums, rows, cols, width);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) ec[c] += xd[r * cols + c];
        AssertClose(ec, colSums);

        float[] dy = Rand.Floats(rng, rows), dx = Rand.Floats(rng, rows * cols);
        double[] edx = Rand.ToDouble(dx);
        Reduce.AccumulateBroadcastLastAxis(dy, dx, rows, cols, 1f, width);
        Reduce.ReferenceSumLastAxisBackward<double>(Rand.ToDouble(dy), edx, rows, cols);
        AssertClose(edx, dx);
    }

    [Fact]
    public void SumLastAxisBackward_MatchesCentralDifferences_InFloat64()
    {
        var rng = new Rng(72);
        const int rows = 3, cols = 7;
        double[] x = Rand.Doubles(rng, rows * cols), dy = Rand.Doubles(rng, rows), dx = new double[rows * cols], y = new double[rows];
        Reduce.ReferenceSumLastAxisBackward<double>(dy, dx, rows, cols);
        GradCheck.AssertClose(GradCheck.Numeric(v => { Reduce.ReferenceSumLastAxis<double>(v, y, rows, cols); return GradCheck.Dot(dy, y); }, x), dx);
    }

    [Fact]
    public void Sum_RepeatedRuns_BitIdentical()
    {
        float[] x = Rand.Floats(new Rng(73), 10_001);
        float first = Reduce.Sum(x);
        for (int i = 0; i < 5; i++) Assert.Equal(first, Reduce.Sum(x));
    }

    [Fact]
    public void SumLastAxis_BadLengths_Throws()
    {
        Assert.Throws<ArgumentException>(() => Reduce.SumLastAxis(new float[6], new float[3], 2, 3));
        Assert.Throws<ArgumentException>(() => Reduce.AccumulateColumnSums(new float[6], new float[2], 2, 3));
        Assert.Throws<ArgumentException>(() => Reduce.AccumulateBroadcastLastAxis(new float[2], new float[5], 2, 3));
    }
}
