using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;
using static Switchyard.Tests.Tensors.Kernels.RowOpsTestData;

namespace Switchyard.Tests.Tensors.Kernels;

public class CrossEntropyTests
{
    public static TheoryData<SimdWidth, int, int> Cases => WidthsAndShapes();

    public static TheoryData<SimdWidth> Widths => [.. AllWidths];

    /// <summary>Random targets with every fifth row set to <paramref name="ignoreIndex"/>.</summary>
    static int[] Targets(Rng rng, int rows, int cols, int ignoreIndex)
    {
        var t = new int[rows];
        for (int r = 0; r < rows; r++) t[r] = r % 5 == 4 ? ignoreIndex : rng.NextInt(cols);
        return t;
    }

    [Theory, MemberData(nameof(Cases))]
    public void Forward_RandomShapes_MatchesReference(SimdWidth width, int rows, int cols)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(21);
        float[] logits = Rand.Floats(rng, rows * cols, scale: 6f);
        int[] targets = Targets(rng, rows, cols, ignoreIndex: -100);
        var probs = new float[logits.Length];
        var expectedProbs = new double[logits.Length];

        float loss = CrossEntropy.Forward(logits, targets, probs, rows, cols, -100, width, threads: 3);
        double expected = CrossEntropy.ReferenceForward<double>(Rand.ToDouble(logits), targets, expectedProbs, rows, cols, -100);

        Assert.Equal(expected, loss, 2e-6 * (1 + Math.Abs(expected)));
        AssertClose(expectedProbs, probs, rel: 5e-6, abs: 1e-12, "probs");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Backward_RandomShapes_MatchesReferenceAndAccumulates(SimdWidth width, int rows, int cols)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(22);
        float[] logits = Rand.Floats(rng, rows * cols, scale: 4f), dLogits = Rand.Floats(rng, rows * cols);
        int[] targets = Targets(rng, rows, cols, ignoreIndex: -1);
        var probs = new float[logits.Length];
        CrossEntropy.Forward(logits, targets, probs, rows, cols, -1, width, threads: 1);
        double[] expected = Rand.ToDouble(dLogits);

        CrossEntropy.Backward(probs, targets, 0.7f, dLogits, rows, cols, -1, width, threads: 3);
        CrossEntropy.ReferenceBackward<double>(Rand.ToDouble(probs), targets, 0.7, expected, rows, cols, -1);

        AssertClose(expected, dLogits, rel: 1e-6, abs: 1e-7, "dLogits");
    }

    [Theory, MemberData(nameof(Cases))]
    public void PerRow_RandomShapes_MatchesReferenceRowByRow(SimdWidth width, int rows, int cols)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(23);
        float[] logits = Rand.Floats(rng, rows * cols, scale: 6f);
        int[] targets = Targets(rng, rows, cols, ignoreIndex: -1);
        var loss = new float[rows];
        Array.Fill(loss, float.NaN);

        CrossEntropy.PerRow(logits, targets, loss, rows, cols, -1, width, threads: 3);

        double[] all = Rand.ToDouble(logits);
        for (int r = 0; r < rows; r++)
        {
            double expected = CrossEntropy.ReferenceForward<double>(all.AsSpan(r * cols, cols), [targets[r]], new double[cols], 1, cols);
            Assert.Equal(expected, loss[r], 2e-6 * (1 + expected));
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(6, 17)]
    public void ReferenceBackward_MatchesCentralDifferences_InFloat64(int rows, int cols)
    {
        var rng = new Rng(24);
        double[] logits = Rand.Doubles(rng, rows * cols, scale: 3);
        int[] targets = Targets(rng, rows, cols, ignoreIndex: -1);
        const double dLoss = 1.3;
        var probs = new double[logits.Length];
        CrossEntropy.ReferenceForward<double>(logits, targets, probs, rows, cols);
        var dLogits = new double[logits.Length];

        CrossEntropy.ReferenceBackward<double>(probs, targets, dLoss, dLogits, rows, cols);
        double[] numeric = GradCheck.Numeric(x => dLoss * CrossEntropy.ReferenceForward<double>(x, targets, new double[x.Length], rows, cols), logits);

        GradCheck.AssertClose(numeric, dLogits, 1e-6, "dLogits");
    }

    [Fact]
    public void Forward_ManyThreads_LossBitIdenticalAcrossRunsAndThreadCounts()
    {
        const int rows = 333, cols = 257;
        var rng = new Rng(25);
        float[] logits = Rand.Floats(rng, rows * cols, scale: 5f);
        int[] targets = Targets(rng, rows, cols, -1);
        float[] p1 = new float[logits.Length], p2 = new float[logits.Length], p3 = new float[logits.Length];
        float[] d1 = new float[logits.Length], d2 = new float[logits.Length];

        float a = CrossEntropy.Forward(logits, targets, p1, rows, cols, -1, Simd.Best, threads: 4);
        float b = CrossEntropy.Forward(logits, targets, p2, rows, cols, -1, Simd.Best, threads: 4);
        float c = CrossEntropy.Forward(logits, targets, p3, rows, cols, -1, Simd.Best, threads: 1);
        CrossEntropy.Backward(p1, targets, 1f, d1, rows, cols, -1, Simd.Best, threads: 4);
        CrossEntropy.Backward(p1, targets, 1f, d2, rows, cols, -1, Simd.Best, threads: 1);

        // Row losses are summed in fixed 32-row blocks, so not even the thread count matters.
        Assert.Equal(BitConverter.SingleToInt32Bits(a), BitConverter.SingleToInt32Bits(b));
        Assert.Equal(BitConverter.SingleToInt32Bits(a), BitConverter.SingleToInt32Bits(c));
        AssertBitIdentical(p1, p2);
        AssertBitIdentical(p1, p3);
        AssertBitIdentical(d1, d2);
    }

    [Fact]
    public void Forward_ProbsOverwriteLogits_SameLossAndProbs()
    {
        const int rows = 9, cols = 41;
        var rng = new Rng(26);
        float[] logits = Rand.Floats(rng, rows * cols, scale: 5f);
        int[] targets = Targets(rng, rows, cols, -1);
        var probs = new float[logits.Length];
        float expected = CrossEntropy.Forward(logits, targets, probs, rows, cols);

        float inPlace = CrossEntropy.Forward(logits, targets, logits, rows, cols);

        Assert.Equal(expected, inPlace);
        AssertBitIdentical(probs, logits);
    }

    [Fact]
    public void ForwardBackward_AllRowsIgnored_ZeroLossNoGradient()
    {
        float[] logits = Rand.Floats(new Rng(27), 3 * 5), probs = new float[15], dLogits = new float[15];
        int[] targets = [7, 7, 7];

        float loss = CrossEntropy.Forward(logits, targets, probs, 3, 5, ignoreIndex: 7);
        CrossEntropy.Backward(probs, targets, 1f, dLogits, 3, 5, ignoreIndex: 7);

        Assert.Equal(0f, loss);
        Assert.All(dLogits, g => Assert.Equal(0f, g));
    }

    [Theory, MemberData(nameof(Widths))]
    public void Forward_ConfidentWrongPrediction_LargeFiniteLoss(SimdWidth width)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        // p(target) = e^-200 underflows in float; log-sum-exp still gives the exact 200 nats.
        float[] logits = [200f, 0f, float.NegativeInfinity, 1f];
        var probs = new float[4];
        var perRow = new float[1];

        float loss = CrossEntropy.Forward(logits, [1], probs, 1, 4, -1, width, threads: 1);
        CrossEntropy.PerRow(logits, [1], perRow, 1, 4, -1, width, threads: 1);

        Assert.Equal(200f, loss, 1e-3f);
        Assert.Equal(loss, perRow[0]);
        Assert.Equal(0f, probs[2]);
    }

    [Fact]
    public void PerRow_IgnoredRows_GetZero()
    {
        float[] logits = Rand.Floats(new Rng(28), 2 * 3);
        float[] loss = [float.NaN, float.NaN];

        CrossEntropy.PerRow(logits, [-1, 2], loss, 2, 3);

        Assert.Equal(0f, loss[0]);
        Assert.True(loss[1] > 0f);
    }

    [Fact]
    public void Forward_TargetOutOfRange_ThrowsNamingRowAndValue()
    {
        float[] logits = new float[6], probs = new float[6];

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropy.Forward(logits, [1, 3], probs, 2, 3));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains("targets[1] = 3", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropy.Backward(probs, [-2, 0], 1f, probs, 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropy.PerRow(logits, [0, -1], new float[2], 2, 3, ignoreIndex: -100));
    }

    [Fact]
    public void AllEntries_BadLengths_ThrowNamingParameter()
    {
        float[] six = new float[6], five = new float[5];
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => CrossEntropy.Forward(five, [0, 0], six, 2, 3)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => CrossEntropy.Forward(six, [0], six, 2, 3)).ParamName);
        Assert.Equal("probs", Assert.Throws<ArgumentException>(() => CrossEntropy.Forward(six, [0, 0], five, 2, 3)).ParamName);
        Assert.Equal("probs", Assert.Throws<ArgumentException>(() => CrossEntropy.Backward(five, [0, 0], 1f, six, 2, 3)).ParamName);
        Assert.Equal("dLogits", Assert.Throws<ArgumentException>(() => CrossEntropy.Backward(six, [0, 0], 1f, five, 2, 3)).ParamName);
        Assert.Equal("loss", Assert.Throws<ArgumentException>(() => CrossEntropy.PerRow(six, [0, 0], new float[3], 2, 3)).ParamName);
    }
}
