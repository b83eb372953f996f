using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Tensors.Kernels.Quant;

public class MatVecF32Tests
{
    // (tokens, out, in): odd row counts (groups of four and tails), odd lengths (vector tails).
    static readonly (int T, int O, int I)[] Shapes =
        [(1, 1, 1), (1, 3, 7), (2, 7, 17), (3, 17, 31), (4, 33, 33), (1, 65, 63), (2, 5, 65), (1, 100, 100), (4, 31, 257)];

    public static TheoryData<SimdWidth, int> WidthsThreads()
    {
        var data = new TheoryData<SimdWidth, int>();
        foreach (var w in Enum.GetValues<SimdWidth>())
            foreach (int threads in new[] { 1, 2, 3 })
                data.Add(w, threads);
        return data;
    }

    [Theory, MemberData(nameof(WidthsThreads))]
    public void Multiply_F32FewTokens_MatchesReference(SimdWidth width, int threads)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(20261126);
        foreach (var (tokens, o, i) in Shapes)
        {
            foreach (float beta in new[] { 0f, 0.5f })
            {
                // Given float weights as bytes, activations and an old y
                float[] wf = Rand.Floats(rng, o * i), x = Rand.Floats(rng, tokens * i), y = Rand.Floats(rng, tokens * o);
                byte[] w = Bytes(wf);
                double[] expected = Rand.ToDouble(y);
                QuantMatMul.Reference(GgmlType.F32, w, x, expected, tokens, o, i, beta);

                // When
                QuantMatMul.Multiply(GgmlType.F32, w, x, y, tokens, o, i, beta, width, threads);

                // Then: paths sum in different orders, so a relative bound
                for (int k = 0; k < expected.Length; k++)
                    Assert.True(Math.Abs(expected[k] - y[k]) <= 1e-5 * (1 + Math.Abs(expected[k])) + 1e-6 * i,
                        $"{width} threads={threads} [{tokens},{o},{i}] beta={beta} y[{k}]: {y[k]} vs {expected[k]}");
            }
        }
    }

    [Fact]
    public void Multiply_F32FewTokens_BitIdenticalAcrossThreadsRunsAndTokenCounts()
    {
        // Given 4 tokens over 70 rows (partitions split differently at each thread count)
        var rng = new Rng(9);
        int tokens = MatVecF32.MaxTokens, o = 70, i = 300;
        byte[] w = Bytes(Rand.Floats(rng, o * i));
        float[] x = Rand.Floats(rng, tokens * i);
        foreach (var width in Enum.GetValues<SimdWidth>())
        {
            if (!Simd.IsSupported(width)) continue;
            float[] first = new float[tokens * o];
            QuantMatMul.Multiply(GgmlType.F32, w, x, first, tokens, o, i, 0f, width, 1);
            foreach (int threads in new[] { 1, 2, 3, 5 })
            {
                float[] y = new float[tokens * o];
                QuantMatMul.Multiply(GgmlType.F32, w, x, y, tokens, o, i, 0f, width, threads);
                Assert.Equal(first, y);
            }
            // Each token alone (decode) gives its row of the 4-token call.
            for (int t = 0; t < tokens; t++)
            {
                float[] one = new float[o];
                QuantMatMul.Multiply(GgmlType.F32, w, x.AsSpan(t * i, i), one, 1, o, i, 0f, width, 2);
                Assert.Equal(first.AsSpan(t * o, o).ToArray(), one);
            }
        }
    }

    [Fact]
    public void Multiply_F32OneToken_AllocatesNothing()
    {
        var rng = new Rng(10);
        int o = 256, i = 512;
        byte[] w = Bytes(Rand.Floats(rng, o * i));
        float[] x = Rand.Floats(rng, i), y = new float[o];
        QuantMatMul.Multiply(GgmlType.F32, w, x, y, 1, o, i, 0f, Simd.Best, 2);
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            QuantMatMul.Multiply(GgmlType.F32, w, x, y, 1, o, i, 0f, Simd.Best, 2);
        }, repeats: 1));
    }

    [Fact]
    public void Multiply_F32WeightsWrongLength_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            QuantMatMul.Multiply(GgmlType.F32, new byte[4 * 6 - 4], new float[3], new float[2], 1, 2, 3));
        Assert.Equal("w", e.ParamName);
    }

    static byte[] Bytes(float[] values)
    {
        var b = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, b, 0, b.Length);
        return b;
    }
}
