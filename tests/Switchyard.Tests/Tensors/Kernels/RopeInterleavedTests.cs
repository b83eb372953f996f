using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;
using static Switchyard.Tests.Tensors.Kernels.ActivationTestSupport;

namespace Switchyard.Tests.Tensors.Kernels;

/// <summary><see cref="Rope.ForwardInterleaved(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{int}, int, int, int, float)"/>: llama.cpp's adjacent-pair layout.</summary>
public class RopeInterleavedTests
{
    const float Theta = 10000f;

    public static TheoryData<SimdWidth, int> Cases()
    {
        var data = new TheoryData<SimdWidth, int>();
        foreach (var w in Widths)
            foreach (int d in new[] { 2, 4, 6, 14, 16, 18, 34, 64, 66, 128, 130 }) data.Add(w, d);
        return data;
    }

    public static TheoryData<SimdWidth> AllWidthsData => AllWidths();

    /// <summary>
    /// convert_hf_to_gguf.py's q/k permutation per head: reshape(heads, 2, D/2, …).swapaxes(1, 2),
    /// so GGUF element 2i + half is HF element half·D/2 + i.
    /// </summary>
    static float[] PermuteLikeGguf(float[] x, int headDim)
    {
        var p = new float[x.Length];
        int half = headDim / 2;
        for (int o = 0; o < x.Length; o += headDim)
            for (int i = 0; i < half; i++)
            {
                p[o + 2 * i] = x[o + i];
                p[o + 2 * i + 1] = x[o + half + i];
            }
        return p;
    }

    [Theory, MemberData(nameof(Cases))]
    public void ForwardInterleaved_GgufPermutedRows_EqualsPermutedRotateHalf(SimdWidth width, int headDim)
    {
        // Given: HF-layout q for 5 tokens × 3 heads and the rows GGUF stores for them
        SkipUnsupported(width);
        const int tokens = 5, heads = 3;
        var rng = new Rng((ulong)(71 + headDim));
        float[] x = Rand.Floats(rng, tokens * heads * headDim);
        int[] pos = [0, 1, 17, 4096, 250_000];

        // When: rotate-half on HF rows, interleaved on GGUF rows
        float[] hf = new float[x.Length], gguf = new float[x.Length];
        Rope.Forward(x, hf, pos, tokens, heads, headDim, Theta, width, threads: 1);
        Rope.ForwardInterleaved(PermuteLikeGguf(x, headDim), gguf, pos, tokens, heads, headDim, Theta, width, threads: 1);

        // Then: the same rotation of the same pairs, to the bit
        AssertBitIdentical(PermuteLikeGguf(hf, headDim), gguf, "y");
    }

    [Theory, MemberData(nameof(Cases))]
    public void ForwardInterleaved_EachWidth_MatchesFloat64Reference(SimdWidth width, int headDim)
    {
        SkipUnsupported(width);
        const int tokens = 4, heads = 2;
        var rng = new Rng(72);
        float[] x = Rand.Floats(rng, tokens * heads * headDim), y = new float[x.Length];
        int[] pos = [0, 9, 1000, 131_071];
        double[] want = new double[x.Length];
        Rope.ReferenceForwardInterleaved<double>(Rand.ToDouble(x), want, pos, tokens, heads, headDim, 500000.0);

        Rope.ForwardInterleaved(x, y, pos, tokens, heads, headDim, 500000f, width, threads: 1);

        // A rotation mixes a pair: error relative to the pair's magnitude.
        AssertWithin(want, y, i => 3e-7 * (Math.Abs(x[i & ~1]) + Math.Abs(x[i | 1])) + 1e-30, "y");
    }

    [Fact]
    public void ForwardInterleaved_UnitVector_RotatesAdjacentPair()
    {
        // headDim 4: inv_freq = [1, 0.01]; element 0 pairs with 1, element 2 with 3.
        float[] y = new float[4];
        Rope.ForwardInterleaved([1f, 0f, 0f, 0f], y, [1], 1, 1, 4, Theta);
        AssertWithin([Math.Cos(1), Math.Sin(1), 0, 0], y, _ => 1e-7, "pair (0, 1)");
        Rope.ForwardInterleaved([0f, 0f, 0f, 1f], y, [3], 1, 1, 4, Theta);
        AssertWithin([0, 0, -Math.Sin(0.03), Math.Cos(0.03)], y, _ => 1e-7, "pair (2, 3)");
    }

    [Theory, MemberData(nameof(AllWidthsData))]
    public void ForwardInterleaved_InPlaceAndManyThreads_BitIdenticalToOutOfPlace(SimdWidth width)
    {
        SkipUnsupported(width);
        const int tokens = 300, heads = 4, headDim = 66;
        float[] x = Rand.Floats(new Rng(73), tokens * heads * headDim), y = new float[x.Length], inPlace = (float[])x.Clone();
        int[] pos = Enumerable.Range(5000, tokens).ToArray();
        Rope.ForwardInterleaved(x, y, pos, tokens, heads, headDim, Theta, width, 1);
        Rope.ForwardInterleaved(inPlace, inPlace, pos, tokens, heads, headDim, Theta, width, 4);
        AssertBitIdentical(y, inPlace, "y");
    }

    [Fact]
    public void ForwardInterleaved_BadArguments_ThrowNamingThem()
    {
        float[] x = new float[2 * 3 * 4], y = new float[x.Length];
        int[] pos = [0, 1];
        Assert.Equal("x", Assert.Throws<ArgumentException>(() => Rope.ForwardInterleaved(new float[23], y, pos, 2, 3, 4, Theta)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => Rope.ForwardInterleaved(x, new float[25], pos, 2, 3, 4, Theta)).ParamName);
        Assert.Equal("positions", Assert.Throws<ArgumentException>(() => Rope.ForwardInterleaved(x, y, [0], 2, 3, 4, Theta)).ParamName);
        Assert.Equal("headDim", Assert.Throws<ArgumentOutOfRangeException>(() => Rope.ForwardInterleaved(new float[6], new float[6], pos, 2, 1, 3, Theta)).ParamName);
        Assert.Equal("theta", Assert.Throws<ArgumentOutOfRangeException>(() => Rope.ForwardInterleaved(x, y, pos, 2, 3, 4, float.NaN)).ParamName);
    }
}
