using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Tensors.Kernels;

public class TransposeTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(33, 65)]
    [InlineData(100, 31)]
    public void Matrix_OddShapes_MatchesReferenceAndAccumulates(int rows, int cols)
    {
        var rng = new Rng(81);
        float[] x = Rand.Floats(rng, rows * cols), y = new float[rows * cols];
        double[] e = new double[rows * cols];
        Transpose.Matrix(x, y, rows, cols);
        Transpose.ReferenceMatrix<double>(Rand.ToDouble(x), e, rows, cols);
        for (int i = 0; i < e.Length; i++) Assert.Equal((float)e[i], y[i]);
        Transpose.Matrix(x, y, rows, cols, accumulate: true);
        for (int i = 0; i < e.Length; i++) Assert.Equal((float)(2 * e[i]), y[i]);
    }

    [Fact]
    public void SwapMiddleAxes_TwiceWithDimsExchanged_RoundTrips()
    {
        const int b = 2, t = 3, h = 5, d = 7;
        float[] x = Rand.Floats(new Rng(82), b * t * h * d), y = new float[x.Length], z = new float[x.Length];
        Transpose.SwapMiddleAxes(x, y, b, t, h, d);
        // y[1, 4, 2, 6] = x[1, 2, 4, 6]
        Assert.Equal(x[((1 * t + 2) * h + 4) * d + 6], y[((1 * h + 4) * t + 2) * d + 6]);
        Transpose.SwapMiddleAxes(y, z, b, h, t, d);
        Assert.Equal(x, z);
    }

    [Fact]
    public void Matrix_BadLengths_Throws() =>
        Assert.Throws<ArgumentException>(() => Transpose.Matrix(new float[6], new float[5], 2, 3));
}

public class ColumnSliceTests
{
    [Fact]
    public void InsertThenExtract_RoundTripsAndAccumulates()
    {
        const int rows = 3, cols = 10, offset = 3, width = 5;
        float[] src = Rand.Floats(new Rng(91), rows * width), big = new float[rows * cols], back = new float[rows * width];
        ColumnSlice.Insert(src, big, rows, cols, offset, width);
        Assert.Equal(src[width + 2], big[cols + offset + 2]);
        Assert.Equal(0f, big[cols + offset - 1]);
        ColumnSlice.Extract(big, back, rows, cols, offset, width);
        Assert.Equal(src, back);
        ColumnSlice.Extract(big, back, rows, cols, offset, width, accumulate: true);
        for (int i = 0; i < src.Length; i++) Assert.Equal(2 * src[i], back[i]);
    }

    [Fact]
    public void Extract_BlockOutsideRow_Throws() =>
        Assert.Throws<ArgumentException>(() => ColumnSlice.Extract(new float[12], new float[6], 3, 4, 3, 2));
}
