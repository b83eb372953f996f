using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;
using static Switchyard.Tests.Tensors.Kernels.ActivationTestSupport;

namespace Switchyard.Tests.Tensors.Kernels;

public class LayerNormTests
{
    const float Eps = 1e-5f;

    public static TheoryData<SimdWidth, int> Cases => WidthsAndCols();

    [Theory, MemberData(nameof(Cases))]
    public void Forward_EachWidth_MatchesFloat64Reference(SimdWidth width, int cols)
    {
        SkipUnsupported(width);
        // Given rows with a large offset (mean ≫ std: a one-pass variance would cancel) and a tiny one
        const int rows = 4;
        var rng = new Rng(51);
        float[] x = Rand.Floats(rng, rows * cols, 2f), w = Rand.Floats(rng, cols, 1.5f), b = Rand.Floats(rng, cols);
        for (int j = 0; j < cols; j++) { x[cols + j] += 50f; x[3 * cols + j] *= 1e-3f; }
        float[] y = new float[rows * cols], mean = new float[rows], rstd = new float[rows];
        double[] wantY = new double[rows * cols], wantMean = new double[rows], wantRstd = new double[rows];
        LayerNorm.ReferenceForward<double>(Rand.ToDouble(x), Rand.ToDouble(w), Rand.ToDouble(b), wantY, wantMean, wantRstd, rows, cols, Eps);

        // When
        LayerNorm.Forward(x, w, b, y, mean, rstd, rows, cols, Eps, width, threads: 1);

        // Then: x − mean carries ~ulp(x) absolute error, scaled by rstd·w
        AssertWithin(wantMean, mean, i => 1e-6 * Math.Abs(wantMean[i]) + 1e-7 * MaxAbs(x, i, cols), "mean");
        AssertWithin(wantRstd, rstd, i => 1e-5 * wantRstd[i], "rstd");
        AssertWithin(wantY, y, i =>
        {
            int r = i / cols, j = i % cols;
            return 1e-6 * (Math.Abs(wantY[i]) + Math.Abs(b[j]) + Math.Abs(w[j]) * (4 * MaxAbs(x, r, cols) * wantRstd[r] + 1));
        }, "y");
    }

    static double MaxAbs(float[] x, int row, int cols)
    {
        double m = 0;
        for (int j = 0; j < cols; j++) m = Math.Max(m, Math.Abs(x[row * cols + j]));
        return m;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Backward_EachWidth_AccumulatesReferenceGradients(SimdWidth width, int cols)
    {
        SkipUnsupported(width);
        const int rows = 5;
        var rng = new Rng(52);
        float[] x = Rand.Floats(rng, rows * cols, 2f), w = Rand.Floats(rng, cols, 1.5f), b = Rand.Floats(rng, cols), dy = Rand.Floats(rng, rows * cols);
        float[] y = new float[rows * cols], mean = new float[rows], rstd = new float[rows];
        LayerNorm.Forward(x, w, b, y, mean, rstd, rows, cols, Eps, width, threads: 1);
        float[] dx = Rand.Floats(rng, rows * cols), dw = Rand.Floats(rng, cols), db = Rand.Floats(rng, cols);
        double[] wantDx = Rand.ToDouble(dx), wantDw = Rand.ToDouble(dw), wantDb = Rand.ToDouble(db);
        LayerNorm.ReferenceBackward<double>(Rand.ToDouble(x), Rand.ToDouble(w), Rand.ToDouble(mean), Rand.ToDouble(rstd), Rand.ToDouble(dy),
            wantDx, wantDw, wantDb, rows, cols);

        LayerNorm.Backward(x, w, mean, rstd, dy, dx, dw, db, rows, cols, width, threads: 1);

        // Bounds scale with the magnitude of the summed terms: results may cancel to ~0.
        double[] dxScale = new double[rows * cols], dwScale = new double[cols], dbScale = new double[cols];
        for (int r = 0; r < rows; r++)
        {
            double s = rstd[r], sumG = 0, sumGx = 0;
            for (int j = 0; j < cols; j++)
            {
                int k = r * cols + j;
                sumG += Math.Abs(dy[k] * w[j]);
                sumGx += Math.Abs(dy[k] * w[j] * (x[k] - mean[r]) * s);
            }
            for (int j = 0; j < cols; j++)
            {
                int k = r * cols + j;
                double xh = Math.Abs((x[k] - mean[r]) * s);
                dxScale[k] = s * (Math.Abs(dy[k] * w[j]) + sumG / cols + (xh + 1) * sumGx / cols);
                dwScale[j] += Math.Abs(dy[k]) * (xh + 1);
                dbScale[j] += Math.Abs(dy[k]);
            }
        }
        AssertWithin(wantDx, dx, i => 2e-6 * (Math.Abs(wantDx[i]) + dxScale[i]), "dx");
        AssertWithin(wantDw, dw, i => 2e-6 * (Math.Abs(wantDw[i]) + dwScale[i]), "dWeight");
        AssertWithin(wantDb, db, i => 2e-6 * (Math.Abs(wantDb[i]) + dbScale[i]), "dBias");
    }

    [Fact]
    public void ReferenceBackward_MatchesCentralDifferences_InFloat64()
    {
        const int rows = 3, cols = 6;
        var rng = new Rng(53);
        double[] x = Rand.Doubles(rng, rows * cols, 2), w = Rand.Doubles(rng, cols, 1.5), b = Rand.Doubles(rng, cols), up = Rand.Doubles(rng, rows * cols);
        double Loss(double[] xs, double[] ws, double[] bs)
        {
            double[] y = new double[rows * cols], m = new double[rows], s = new double[rows];
            LayerNorm.ReferenceForward<double>(xs, ws, bs, y, m, s, rows, cols, 1e-3);
            return GradCheck.Dot(up, y);
        }
        double[] yRef = new double[rows * cols], mean = new double[rows], rstd = new double[rows];
        LayerNorm.ReferenceForward<double>(x, w, b, yRef, mean, rstd, rows, cols, 1e-3);
        double[] dx = new double[rows * cols], dw = new double[cols], db = new double[cols];

        LayerNorm.ReferenceBackward<double>(x, w, mean, rstd, up, dx, dw, db, rows, cols);

        GradCheck.AssertClose(GradCheck.Numeric(xs => Loss(xs, w, b), x), dx, 1e-6, "dx");
        GradCheck.AssertClose(GradCheck.Numeric(ws => Loss(x, ws, b), w), dw, 1e-6, "dWeight");
        GradCheck.AssertClose(GradCheck.Numeric(bs => Loss(x, w, bs), b), db, 1e-6, "dBias");
    }

    [Fact]
    public void ForwardAndBackward_NoBias_EqualZeroBias()
    {
        const int rows = 3, cols = 37;
        var rng = new Rng(54);
        float[] x = Rand.Floats(rng, rows * cols), w = Rand.Floats(rng, cols), dy = Rand.Floats(rng, rows * cols);
        float[] y0 = new float[rows * cols], y1 = new float[rows * cols], m = new float[rows], s = new float[rows];
        LayerNorm.Forward(x, w, new float[cols], y0, m, s, rows, cols, Eps);
        LayerNorm.Forward(x, w, [], y1, m, s, rows, cols, Eps);
        AssertBitIdentical(y0, y1, "y");

        float[] dx0 = new float[rows * cols], dx1 = new float[rows * cols], dw0 = new float[cols], dw1 = new float[cols];
        LayerNorm.Backward(x, w, m, s, dy, dx0, dw0, new float[cols], rows, cols);
        LayerNorm.Backward(x, w, m, s, dy, dx1, dw1, [], rows, cols);
        AssertBitIdentical(dx0, dx1, "dx");
        AssertBitIdentical(dw0, dw1, "dWeight");
    }

    [Fact]
    public void Forward_InPlace_EqualsOutOfPlace()
    {
        const int rows = 3, cols = 41;
        var rng = new Rng(56);
        float[] x = Rand.Floats(rng, rows * cols), w = Rand.Floats(rng, cols), b = Rand.Floats(rng, cols);
        float[] y = new float[rows * cols], m = new float[rows], s = new float[rows];
        LayerNorm.Forward(x, w, b, y, m, s, rows, cols, Eps);
        LayerNorm.Forward(x, w, b, x, m, s, rows, cols, Eps);
        AssertBitIdentical(y, x, "y");
    }

    [Fact]
    public void Forward_ConstantRow_GivesBias()
    {
        float[] x = [3f, 3f, 3f], w = [2f, 2f, 2f], b = [0.5f, -1f, 7f], y = new float[3], m = new float[1], s = new float[1];
        LayerNorm.Forward(x, w, b, y, m, s, 1, 3, Eps);
        Assert.Equal(b, y);
        Assert.Equal(3f, m[0]);
    }

    [Fact]
    public void ForwardAndBackward_ManyThreads_BitIdenticalToOneThread()
    {
        const int rows = 150, cols = 900;
        var rng = new Rng(55);
        float[] x = Rand.Floats(rng, rows * cols, 3f), w = Rand.Floats(rng, cols), b = Rand.Floats(rng, cols), dy = Rand.Floats(rng, rows * cols);
        var one = Run(1);
        for (int run = 0; run < 3; run++)
        {
            var many = Run(4);
            for (int k = 0; k < one.Length; k++) AssertBitIdentical(one[k], many[k], $"output {k}");
        }

        float[][] Run(int threads)
        {
            float[] y = new float[rows * cols], m = new float[rows], s = new float[rows], dx = new float[rows * cols], dw = new float[cols], db = new float[cols];
            LayerNorm.Forward(x, w, b, y, m, s, rows, cols, Eps, Simd.Best, threads);
            LayerNorm.Backward(x, w, m, s, dy, dx, dw, db, rows, cols, Simd.Best, threads);
            return [y, m, s, dx, dw, db];
        }
    }

    [Fact]
    public void Forward_BadLengths_ThrowNamingTheParameter()
    {
        float[] x = new float[6], w = new float[3], b = new float[3], y = new float[6], m = new float[2], s = new float[2];
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => LayerNorm.Forward(new float[5], w, b, y, m, s, 2, 3, Eps)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => LayerNorm.Forward(x, new float[2], b, y, m, s, 2, 3, Eps)).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => LayerNorm.Forward(x, w, new float[2], y, m, s, 2, 3, Eps)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => LayerNorm.Forward(x, w, b, new float[5], m, s, 2, 3, Eps)).ParamName);
        Assert.Equal("mean", Assert.Throws<ArgumentException>(() => LayerNorm.Forward(x, w, b, y, new float[1], s, 2, 3, Eps)).ParamName);
        Assert.Equal("rstd", Assert.Throws<ArgumentException>(() => LayerNorm.Forward(x, w, b, y, m, new float[3], 2, 3, Eps)).ParamName);
        Assert.Equal("cols", Assert.Throws<ArgumentOutOfRangeException>(() => LayerNorm.Forward([], [], [], [], [], [], 0, 0, Eps)).ParamName);
        Assert.Equal("eps", Assert.Throws<ArgumentOutOfRangeException>(() => LayerNorm.Forward(x, w, b, y, m, s, 2, 3, float.PositiveInfinity)).ParamName);
    }

    [Fact]
    public void Backward_BadLengths_ThrowNamingTheParameter()
    {
        float[] x = new float[6], w = new float[3], m = new float[2], s = new float[2], dy = new float[6], dx = new float[6], dw = new float[3], db = new float[3];
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => LayerNorm.Backward(new float[4], w, m, s, dy, dx, dw, db, 2, 3)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => LayerNorm.Backward(x, new float[4], m, s, dy, dx, dw, db, 2, 3)).ParamName);
        Assert.Equal("mean", Assert.Throws<ArgumentException>(() => LayerNorm.Backward(x, w, new float[3], s, dy, dx, dw, db, 2, 3)).ParamName);
        Assert.Equal("rstd", Assert.Throws<ArgumentException>(() => LayerNorm.Backward(x, w, m, new float[1], dy, dx, dw, db, 2, 3)).ParamName);
        Assert.Equal("dy", Assert.Throws<ArgumentException>(() => LayerNorm.Backward(x, w, m, s, new float[7], dx, dw, db, 2, 3)).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => LayerNorm.Backward(x, w, m, s, dy, new float[7], dw, db, 2, 3)).ParamName);
        Assert.Equal("dWeight", Assert.Throws<ArgumentException>(() => LayerNorm.Backward(x, w, m, s, dy, dx, new float[2], db, 2, 3)).ParamName);
        Assert.Equal("dBias", Assert.Throws<ArgumentException>(() => LayerNorm.Backward(x, w, m, s, dy, dx, dw, new float[2], 2, 3)).ParamName);
    }
}
