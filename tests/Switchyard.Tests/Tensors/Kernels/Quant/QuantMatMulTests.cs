using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Tensors.Kernels.Quant;

public class QuantMatMulTests
{
    static readonly GgmlType[] Types = [GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K];

    // (tokens, out, in): odd counts, one block, a few blocks; in must be whole blocks.
    static (int T, int O, int I)[] Shapes(GgmlType type) => Block(type) == 256
        ? [(1, 1, 256), (3, 7, 512), (2, 17, 768), (5, 3, 256), (1, 33, 1024)]
        : [(1, 1, 32), (3, 7, 96), (2, 17, 160), (7, 5, 64), (1, 65, 288), (4, 33, 1024)];

    static int Block(GgmlType type) => type switch
    {
        GgmlType.Q4_K or GgmlType.Q6_K => 256,
        GgmlType.Q8_0 or GgmlType.Q4_0 => 32,
        _ => 32, // F16/BF16 take any length; test with the same shapes
    };

    public static TheoryData<GgmlType, SimdWidth, int> TypesWidthsThreads()
    {
        var data = new TheoryData<GgmlType, SimdWidth, int>();
        foreach (var t in Types)
            foreach (var w in Enum.GetValues<SimdWidth>())
                foreach (int threads in new[] { 1, 2 })
                    data.Add(t, w, threads);
        return data;
    }

    public static TheoryData<GgmlType> AllTypes()
    {
        var data = new TheoryData<GgmlType>();
        foreach (var t in Types) data.Add(t);
        return data;
    }

    [Theory, MemberData(nameof(TypesWidthsThreads))]
    public void Multiply_RandomShapes_WithinDerivedBoundOfReference(GgmlType type, SimdWidth width, int threads)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(20261125UL + (ulong)type);
        foreach (var (tokens, o, i) in Shapes(type))
        {
            foreach (float beta in new[] { 0f, 0.5f })
            {
                // Given quantized weights, activations with outliers (so per-block scales differ), old y
                byte[] w = RandomWeights(rng, type, o, i, out float[] wHat);
                float[] x = RandomActivations(rng, tokens * i);
                float[] y = Rand.Floats(rng, tokens * o);
                double[] expected = Rand.ToDouble(y);
                QuantMatMul.Reference(type, w, x, expected, tokens, o, i, beta);

                // When
                QuantMatMul.Multiply(type, w, x, y, tokens, o, i, beta, width, threads);

                // Then
                for (int t = 0; t < tokens; t++)
                    for (int r = 0; r < o; r++)
                    {
                        double bound = ErrorBound(type, x.AsSpan(t * i, i), wHat.AsSpan(r * i, i));
                        double err = Math.Abs(expected[t * o + r] - y[t * o + r]);
                        Assert.True(err <= bound + 1e-6 * Math.Abs(expected[t * o + r]),
                            $"{type} {width} threads={threads} [{tokens},{o},{i}] beta={beta} y[{t},{r}]: {y[t * o + r]} vs {expected[t * o + r]} (err {err:g3} > bound {bound:g3})");
                    }
            }
        }
    }

    /// <summary>
    /// |fused − exact| for one output: activation quantization moves each x by at most half its block's
    /// step d_b = amax_b/127, so the dot moves by at most Σ_b (d_b/2)·Σ_{i∈b}|ŵ_i|; float scales and
    /// accumulation add a few ulps of Σ|ŵ_i·x_i|. F16/BF16 products are exact in float; only the float
    /// accumulation errs.
    /// </summary>
    static double ErrorBound(GgmlType type, ReadOnlySpan<float> x, ReadOnlySpan<float> wHat)
    {
        double abs = 0;
        for (int i = 0; i < x.Length; i++) abs += Math.Abs((double)x[i] * wHat[i]);
        double rounding = 1e-5 * abs;
        if (type is GgmlType.F16 or GgmlType.BF16) return rounding;
        int block = Block(type);
        double bound = rounding;
        for (int b = 0; b < x.Length / block; b++)
        {
            double amax = 0, wAbs = 0;
            for (int i = b * block; i < (b + 1) * block; i++) { amax = Math.Max(amax, Math.Abs(x[i])); wAbs += Math.Abs(wHat[i]); }
            bound += amax / 127 * 0.5 * 1.0001 * wAbs;
        }
        return bound;
    }

    [Theory, MemberData(nameof(AllTypes))]
    public void Multiply_EveryWidthAndThreadCount_BitIdenticalForQuantTypes(GgmlType type)
    {
        // Integer block sums are exact and every width runs the same float steps (block order, or for
        // Q8_0 the same 16 lanes and final reduction), so the quantized types agree bit for bit across
        // widths; every type agrees across thread counts. 9 blocks: Q8_0's odd tail block is covered; for Q8_0,
        // 35 = 2·16 + 3 blocks also covers the decode kernel's 16-block chunks, a pair and the tail after them.
        var rng = new Rng(77);
        int tokens = 6, o = 37, i = Block(type) * (type == GgmlType.Q8_0 ? 35 : 9); // 6 tokens: one 4-token group and two single tokens
        byte[] w = RandomWeights(rng, type, o, i, out _);
        float[] x = RandomActivations(rng, tokens * i);
        float[] baseline = new float[tokens * o];
        QuantMatMul.Multiply(type, w, x, baseline, tokens, o, i, 0f, SimdWidth.Scalar, 1);
        foreach (var width in Enum.GetValues<SimdWidth>())
        {
            if (!Simd.IsSupported(width)) continue;
            float[] first = new float[tokens * o];
            QuantMatMul.Multiply(type, w, x, first, tokens, o, i, 0f, width, 1);
            foreach (int threads in new[] { 1, 2, 3 })
            {
                for (int run = 0; run < 2; run++)
                {
                    float[] y = new float[tokens * o];
                    QuantMatMul.Multiply(type, w, x, y, tokens, o, i, 0f, width, threads);
                    Assert.Equal(first, y);
                }
            }
            if (type is not (GgmlType.F16 or GgmlType.BF16)) Assert.Equal(baseline, first);
        }
    }

    [Theory, MemberData(nameof(AllTypes))]
    public void Multiply_PromptRows_EqualSameTokensAlone(GgmlType type)
    {
        // Given a 5-token prefill and the same tokens one at a time (decode)
        var rng = new Rng(78);
        int tokens = 5, o = 70, i = Block(type) * (type == GgmlType.Q8_0 ? 35 : 8); // Q8_0: decode's 16-block chunks vs prefill's pairs
        byte[] w = RandomWeights(rng, type, o, i, out _);
        float[] x = RandomActivations(rng, tokens * i);
        float[] batch = new float[tokens * o];
        QuantMatMul.Multiply(type, w, x, batch, tokens, o, i, 0f, Simd.Best, 2);
        for (int t = 0; t < tokens; t++)
        {
            float[] one = new float[o];
            QuantMatMul.Multiply(type, w, x.AsSpan(t * i, i), one, 1, o, i, 0f, Simd.Best, 2);
            Assert.Equal(batch.AsSpan(t * o, o).ToArray(), one);
        }
    }

    [Fact]
    public void Multiply_F32ManyTokens_SameAsGemm()
    {
        // Beyond MatVecF32.MaxTokens the F32 path is GEMM itself.
        var rng = new Rng(3);
        int tokens = MatVecF32.MaxTokens + 5, o = 33, i = 65;
        float[] wf = Rand.Floats(rng, o * i), x = Rand.Floats(rng, tokens * i);
        float[] y = Rand.Floats(rng, tokens * o), yGemm = (float[])y.Clone();
        var w = new byte[o * i * 4];
        Buffer.BlockCopy(wf, 0, w, 0, w.Length);
        QuantMatMul.Multiply(GgmlType.F32, w, x, y, tokens, o, i, beta: 0.5f);
        Gemm.Multiply(x, wf, yGemm, tokens, o, i, transB: true, beta: 0.5f);
        Assert.Equal(yGemm, y);
    }

    [Fact]
    public void Multiply_SteadyState_AllocatesNothing()
    {
        var rng = new Rng(4);
        int tokens = 3, o = 64, i = 512;
        var cases = Types.Select(t => (Type: t, W: RandomWeights(rng, t, o, i, out _))).ToArray();
        float[] x = Rand.Floats(rng, tokens * i), y = new float[tokens * o];
        void All()
        {
            foreach (var (t, w) in cases)
            {
                QuantMatMul.Multiply(t, w, x, y, tokens, o, i, 0f, Simd.Best, 1);
                QuantMatMul.Multiply(t, w, x.AsSpan(0, i), y.AsSpan(0, o), 1, o, i, 0f, Simd.Best, 1);
            }
        }
        All();
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            All();
        }, repeats: 1));
    }

    [Fact]
    public void Multiply_WeightsWrongLength_ThrowsNamingSizes()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            QuantMatMul.Multiply(GgmlType.Q4_K, new byte[144 * 3 - 1], new float[512], new float[6], 2, 3, 256));
        Assert.Equal("w", e.ParamName);
        Assert.Contains("431", e.Message);
        Assert.Contains("432", e.Message);
    }

    [Fact]
    public void Multiply_InFeaturesNotWholeBlocks_ThrowsNamingSizes()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            QuantMatMul.Multiply(GgmlType.Q8_0, new byte[34], new float[40], new float[1], 1, 1, 40));
        Assert.Equal("inFeatures", e.ParamName);
        Assert.Contains("40", e.Message);
        Assert.Contains("32", e.Message);
    }

    [Fact]
    public void Multiply_ActivationsOrOutputWrongLength_ThrowsNamingSizes()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            QuantMatMul.Multiply(GgmlType.Q8_0, new byte[68], new float[63], new float[4], 2, 2, 32));
        Assert.Equal("x", e.ParamName);
        Assert.Contains("63", e.Message);
        var f = Assert.Throws<ArgumentException>(() =>
            QuantMatMul.Multiply(GgmlType.F16, new byte[128], new float[64], new float[5], 2, 2, 32));
        Assert.Equal("y", f.ParamName);
        Assert.Contains("5", f.Message);
    }

    [Fact]
    public void Multiply_UnsupportedType_ThrowsNotSupported()
    {
        Assert.Throws<NotSupportedException>(() =>
            QuantMatMul.Multiply(GgmlType.Q5_K, new byte[176], new float[256], new float[1], 1, 1, 256));
    }

    internal static byte[] RandomWeights(Rng rng, GgmlType type, int rows, int cols, out float[] dequantized)
    {
        long rowBytes = GgmlTypes.RowBytes(type, cols);
        var w = new byte[rows * rowBytes];
        dequantized = new float[rows * cols];
        var row = new float[cols];
        for (int r = 0; r < rows; r++)
        {
            rng.FillNormal(row, 0.05f);
            // A few weight outliers, as trained matrices have.
            row[rng.NextInt(cols)] *= 20;
            Quantizer.QuantizeRow(type, row, w.AsSpan((int)(r * rowBytes), (int)rowBytes));
            Dequantizer.DequantizeRow(type, w.AsSpan((int)(r * rowBytes), (int)rowBytes), dequantized.AsSpan(r * cols, cols));
        }
        return w;
    }

    internal static float[] RandomActivations(Rng rng, int n)
    {
        float[] x = Rand.Floats(rng, n, 2f);
        for (int k = 0; k < n / 50 + 1; k++) x[rng.NextInt(n)] = (rng.NextFloat() - 0.5f) * 40f; // outliers
        return x;
    }
}
