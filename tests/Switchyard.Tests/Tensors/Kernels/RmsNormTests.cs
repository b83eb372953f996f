using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;
using static Switchyard.Tests.Tensors.Kernels.ActivationTestSupport;

namespace Switchyard.Tests.Tensors.Kernels;

public class RmsNormTests
{
    const float Eps = 1e-6f;

    public static TheoryData<SimdWidth, int> Cases => WidthsAndCols();

    [Theory, MemberData(nameof(Cases))]
    public void Forward_EachWidth_MatchesFloat64Reference(SimdWidth width, int cols)
    {
        SkipUnsupported(width);
        // Given rows at very different scales (eps matters only for the tiny one)
        const int rows = 4;
        var rng = new Rng(41);
        float[] x = Rand.Floats(rng, rows * cols, 2f), w = Rand.Floats(rng, cols, 1.5f);
        for (int j = 0; j < cols; j++) { x[j] *= 1e-3f; x[2 * cols + j] *= 300f; }
        float[] y = new float[rows * cols], inv = new float[rows];
        double[] wantY = new double[rows * cols], wantInv = new double[rows];
        RmsNorm.ReferenceForward<double>(Rand.ToDouble(x), Rand.ToDouble(w), wantY, wantInv, rows, cols, Eps);

        // When
        RmsNorm.Forward(x, w, y, inv, rows, cols, Eps, width, threads: 1);

        // Then: y = x·r·w is a product, so a few ulps relative everywhere
        AssertWithin(wantInv, inv, i => 1e-6 * wantInv[i], "invRms");
        AssertWithin(wantY, y, i => 1e-6 * Math.Abs(wantY[i]) + 1e-30, "y");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Backward_EachWidth_AccumulatesReferenceGradients(SimdWidth width, int cols)
    {
        SkipUnsupported(width);
        const int rows = 5;
        var rng = new Rng(42);
        float[] x = Rand.Floats(rng, rows * cols, 2f), w = Rand.Floats(rng, cols, 1.5f), dy = Rand.Floats(rng, rows * cols);
        float[] y = new float[rows * cols], inv = new float[rows];
        RmsNorm.Forward(x, w, y, inv, rows, cols, Eps, width, threads: 1);
        float[] dx = Rand.Floats(rng, rows * cols), dw = Rand.Floats(rng, cols);
        double[] wantDx = Rand.ToDouble(dx), wantDw = Rand.ToDouble(dw);
        RmsNorm.ReferenceBackward<double>(Rand.ToDouble(x), Rand.ToDouble(w), Rand.ToDouble(inv), Rand.ToDouble(dy), wantDx, wantDw, rows, cols);

        RmsNorm.Backward(x, w, inv, dy, dx, dw, rows, cols, width, threads: 1);

        // Bounds scale with the magnitude of the summed terms: the results may cancel to ~0.
        double[] dxScale = new double[rows * cols], dwScale = new double[cols];
        for (int r = 0; r < rows; r++)
        {
            double ri = inv[r], sum = 0;
            for (int j = 0; j < cols; j++) sum += Math.Abs(dy[r * cols + j] * w[j] * x[r * cols + j]);
            for (int j = 0; j < cols; j++)
            {
                int k = r * cols + j;
                dxScale[k] = ri * Math.Abs(dy[k] * w[j]) + Math.Abs(x[k]) * ri * ri * ri * sum / cols;
                dwScale[j] += Math.Abs(dy[k] * x[k]) * ri;
            }
        }
        AssertWithin(wantDx, dx, i => 2e-6 * (Math.Abs(wantDx[i]) + dxScale[i]), "dx");
        AssertWithin(wantDw, dw, i => 2e-6 * (Math.Abs(wantDw[i]) + dwScale[i]), "dWeight");
    }

    [Fact]
    public void ReferenceBackward_MatchesCentralDifferences_InFloat64()
    {
        const int rows = 3, cols = 6;
        var rng = new Rng(43);
        double[] x = Rand.Doubles(rng, rows * cols, 2), w = Rand.Doubles(rng, cols, 1.5), up = Rand.Doubles(rng, rows * cols);
        double Loss(double[] xs, double[] ws)
        {
            double[] y = new double[rows * cols], inv = new double[rows];
            RmsNorm.ReferenceForward<double>(xs, ws, y, inv, rows, cols, 1e-3);
            return GradCheck.Dot(up, y);
        }
        double[] yRef = new double[rows * cols], invRef = new double[rows], dx = new double[rows * cols], dw = new double[cols];
        RmsNorm.ReferenceForward<double>(x, w, yRef, invRef, rows, cols, 1e-3);

        RmsNorm.ReferenceBackward<double>(x, w, invRef, up, dx, dw, rows, cols);

        GradCheck.AssertClose(GradCheck.Numeric(xs => Loss(xs, w), x), dx, 1e-6, "dx");
        GradCheck.AssertClose(GradCheck.Numeric(ws => Loss(x, ws), w), dw, 1e-6, "dWeight");
    }

    [Fact]
    public void Forward_KnownRow_MatchesHuggingFaceFormula()
    {
        // LlamaRMSNorm: x·rsqrt(mean(x²) + eps)·w; mean(1,4,9,16) = 7.5.
        float[] x = [1f, 2f, 3f, 4f], w = [1f, 1f, 2f, 0.5f], y = new float[4], inv = new float[1];
        RmsNorm.Forward(x, w, y, inv, 1, 4, 0f);
        double r = 1 / Math.Sqrt(7.5);
        AssertWithin([r], inv, _ => 1e-7, "invRms");
        AssertWithin([r, 2 * r, 6 * r, 2 * r], y, _ => 1e-6, "y");
    }

    [Fact]
    public void Forward_InPlace_EqualsOutOfPlace()
    {
        const int rows = 3, cols = 41;
        var rng = new Rng(45);
        float[] x = Rand.Floats(rng, rows * cols), w = Rand.Floats(rng, cols), y = new float[rows * cols], inv = new float[rows];
        RmsNorm.Forward(x, w, y, inv, rows, cols, Eps);
        RmsNorm.Forward(x, w, x, inv, rows, cols, Eps);
        AssertBitIdentical(y, x, "y");
    }

    [Fact]
    public void Forward_ZeroRow_GivesZerosWithFiniteInverseRms()
    {
        float[] x = new float[5], w = [1f, 2f, 3f, 4f, 5f], y = new float[5], inv = new float[1];
        RmsNorm.Forward(x, w, y, inv, 1, 5, 1e-5f);
        Assert.All(y, v => Assert.Equal(0f, v));
        Assert.Equal(1 / Math.Sqrt(1e-5), inv[0], 1e-2);
    }

    [Fact]
    public void ForwardAndBackward_ManyThreads_BitIdenticalToOneThread()
    {
        // Given enough work for four parts (rows × cols ≥ 4 × MinElementsPerPart) and several column strips
        const int rows = 190, cols = 700;
        var rng = new Rng(44);
        float[] x = Rand.Floats(rng, rows * cols, 3f), w = Rand.Floats(rng, cols), dy = Rand.Floats(rng, rows * cols);
        var (y1, inv1, dx1, dw1) = Run(1);
        for (int run = 0; run < 3; run++)
        {
            // When run on 4 parts, repeatedly
            var (y4, inv4, dx4, dw4) = Run(4);
            // Then every output has the same bits as on one thread
            AssertBitIdentical(y1, y4, "y");
            AssertBitIdentical(inv1, inv4, "invRms");
            AssertBitIdentical(dx1, dx4, "dx");
            AssertBitIdentical(dw1, dw4, "dWeight");
        }

        (float[], float[], float[], float[]) Run(int threads)
        {
            float[] y = new float[rows * cols], inv = new float[rows], dx = new float[rows * cols], dw = new float[cols];
            RmsNorm.Forward(x, w, y, inv, rows, cols, Eps, Simd.Best, threads);
            RmsNorm.Backward(x, w, inv, dy, dx, dw, rows, cols, Simd.Best, threads);
            return (y, inv, dx, dw);
        }
    }

    [Fact]
    public void Forward_BadLengths_ThrowNamingTheParameter()
    {
        float[] x = new float[6], w = new float[3], y = new float[6], inv = new float[2];
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => RmsNorm.Forward(new float[5], w, y, inv, 2, 3, Eps)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => RmsNorm.Forward(x, new float[2], y, inv, 2, 3, Eps)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => RmsNorm.Forward(x, w, new float[7], inv, 2, 3, Eps)).ParamName);
        Assert.Equal("invRms", Assert.Throws<ArgumentException>(() => RmsNorm.Forward(x, w, y, new float[3], 2, 3, Eps)).ParamName);
        Assert.Equal("cols", Assert.Throws<ArgumentOutOfRangeException>(() => RmsNorm.Forward([], [], [], [], 0, 0, Eps)).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => RmsNorm.Forward(x, w, y, inv, -1, 3, Eps)).ParamName);
        Assert.Equal("eps", Assert.Throws<ArgumentOutOfRangeException>(() => RmsNorm.Forward(x, w, y, inv, 2, 3, -1f)).ParamName);
        Assert.Equal("eps", Assert.Throws<ArgumentOutOfRangeException>(() => RmsNorm.Forward(x, w, y, inv, 2, 3, float.NaN)).ParamName);
    }

    [Fact]
    public void Backward_BadLengths_ThrowNamingTheParameter()
    {
        float[] x = new float[6], w = new float[3], inv = new float[2], dy = new float[6], dx = new float[6], dw = new float[3];
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => RmsNorm.Backward(new float[7], w, inv, dy, dx, dw, 2, 3)).ParamName);
        Assert.Equal("weight", Assert.Throws<ArgumentException>(() => RmsNorm.Backward(x, new float[4], inv, dy, dx, dw, 2, 3)).ParamName);
        Assert.Equal("invRms", Assert.Throws<ArgumentException>(() => RmsNorm.Backward(x, w, new float[1], dy, dx, dw, 2, 3)).ParamName);
        Assert.Equal("dy", Assert.Throws<ArgumentException>(() => RmsNorm.Backward(x, w, inv, new float[5], dx, dw, 2, 3)).ParamName);
        Assert.Equal("dx", Assert.Throws<ArgumentException>(() => RmsNorm.Backward(x, w, inv, dy, new float[5], dw, 2, 3)).ParamName);
        Assert.Equal("dWeight", Assert.Throws<ArgumentException>(() => RmsNorm.Backward(x, w, inv, dy, dx, new float[2], 2, 3)).ParamName);
    }

    [Fact]
    public void ForwardAndBackward_ZeroRows_DoNothing()
    {
        float[] w = [1f, 2f], dw = [3f, 4f];
        RmsNorm.Forward([], w, [], [], 0, 2, Eps);
        RmsNorm.Backward([], w, [], [], [], dw, 0, 2);
        Assert.Equal([3f, 4f], dw);
    }
}
