using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Tensors.Kernels;

public class CachedAttentionTests
{
    static readonly SimdWidth[] Widths = [SimdWidth.Scalar, SimdWidth.V256, SimdWidth.V512];

    /// <summary>Random queries and a random cache with spare rows past the attended ones.</summary>
    sealed class Case
    {
        public readonly int Tokens, Start, QHeads, KvHeads, HeadDim, Capacity;
        public readonly float Scale;
        public readonly float[] Q, K, V;

        public Case(ulong seed, int tokens, int start, int qHeads, int kvHeads, int headDim, int spare = 3)
        {
            Tokens = tokens; Start = start; QHeads = qHeads; KvHeads = kvHeads; HeadDim = headDim;
            Capacity = start + tokens + spare;
            Scale = 1f / MathF.Sqrt(headDim);
            var rng = new Rng(seed);
            // Scores up to a few units: softmax rows range from flat to peaked.
            Q = Rand.Floats(rng, tokens * qHeads * headDim, 2f);
            K = Rand.Floats(rng, Capacity * kvHeads * headDim, 2f);
            V = Rand.Floats(rng, Capacity * kvHeads * headDim);
        }

        public float[] Forward(SimdWidth w, int threads)
        {
            var o = new float[Q.Length];
            CachedAttention.Forward(Q, K, V, o, Tokens, Start, QHeads, KvHeads, HeadDim, Scale, w, threads);
            return o;
        }

        public double[] Reference()
        {
            var o = new double[Q.Length];
            CachedAttention.ReferenceForward<double>(Rand.ToDouble(Q), Rand.ToDouble(K), Rand.ToDouble(V), o,
                Tokens, Start, QHeads, KvHeads, HeadDim, Scale);
            return o;
        }
    }

    static ulong Seed(params int[] parts)
    {
        ulong s = 1469598103934665603UL;
        foreach (int p in parts) s = (s ^ (ulong)p) * 1099511628211UL;
        return s;
    }

    // Float fast paths vs the double oracle: other summation orders and a polynomial exp.
    static void AssertNear(double[] expected, float[] actual, string what) =>
        GradCheck.AssertClose(expected, Rand.ToDouble(actual), 2e-5, what);

    public static TheoryData<int, int, int, int, int> Shapes => new()
    {
        // tokens, start, qHeads, kvHeads, headDim: decode and prefill, odd widths, contexts
        // crossing the 32-key blocks and 256-key chunks.
        { 1, 0, 1, 1, 8 },
        { 1, 6, 4, 2, 3 },
        { 1, 30, 4, 4, 17 },
        { 1, 33, 6, 2, 33 },
        { 1, 255, 8, 2, 64 },
        { 1, 256, 4, 1, 65 },
        { 1, 700, 4, 2, 100 },
        { 3, 5, 4, 2, 31 },
        { 7, 0, 2, 1, 63 },
        { 17, 250, 4, 4, 16 },
        { 5, 511, 6, 3, 40 },
        { 1, 300, 8, 2, 128 },     // rows 1 KiB apart, reused by 4 heads: packed blocks
        { 20, 40, 4, 4, 64 },      // the same for a prefill tile
    };

    [Theory, MemberData(nameof(Shapes))]
    public void Forward_EveryWidthAndThreads_MatchesDoubleReference(int tokens, int start, int qHeads, int kvHeads, int headDim)
    {
        var c = new Case(Seed(tokens, start, qHeads, kvHeads, headDim), tokens, start, qHeads, kvHeads, headDim);
        var expected = c.Reference();
        foreach (var width in Widths)
        {
            if (!Simd.IsSupported(width)) continue;
            foreach (int threads in new[] { 1, 2 })
                AssertNear(expected, c.Forward(width, threads), $"{width} × {threads} threads");
        }
    }

    [Theory]
    [InlineData(1, 8, 8)]
    [InlineData(17, 4, 2)]
    [InlineData(130, 6, 3)]
    [InlineData(300, 4, 1)]
    public void Forward_WholeSequenceFromStart_MatchesCausalAttention(int seq, int qHeads, int kvHeads)
    {
        // Given: a prompt whose keys and values fill the cache exactly
        const int headDim = 40;
        var c = new Case(Seed(seq, qHeads, kvHeads, 99), seq, 0, qHeads, kvHeads, headDim, spare: 0);
        var lse = new float[qHeads * seq];
        var training = new float[c.Q.Length];
        CausalAttention.Forward(c.Q, c.K, c.V, training, lse, 1, seq, qHeads, kvHeads, headDim, c.Scale);

        // When
        var cached = new float[c.Q.Length];
        CachedAttention.Forward(c.Q, c.K, c.V, cached, seq, 0, qHeads, kvHeads, headDim, c.Scale);

        // Then: the same math (tiles differ, so not to the bit)
        GradCheck.AssertClose(Rand.ToDouble(training), Rand.ToDouble(cached), 1e-5, "o");
    }

    [Theory]
    [InlineData(4, 2, 24)]
    [InlineData(2, 2, 128)]   // prefill copies its blocks (1 KiB row stride), decode reads them in place
    [InlineData(8, 2, 128)]
    public void Forward_DecodeStepByStep_MatchesOnePrefill(int qHeads, int kvHeads, int headDim)
    {
        // Token by token against a growing cache gives what one prefill call over all tokens gives.
        const int tokens = 40, start = 260;
        var c = new Case(Seed(5, 7, qHeads, headDim), tokens, start, qHeads, kvHeads, headDim);
        float[] all = c.Forward(Simd.Best, threads: 2);
        int row = qHeads * headDim;
        for (int t = 0; t < tokens; t++)
        {
            var o = new float[row];
            CachedAttention.Forward(c.Q.AsSpan(t * row, row), c.K, c.V, o, 1, start + t, qHeads, kvHeads, headDim, c.Scale, Simd.Best, 2);
            Assert.Equal(all.AsSpan(t * row, row).ToArray(), o);
        }
    }

    [Theory]
    [InlineData(1, 2000, 8, 1)]   // decode, one kv head: split over chunks, then merged
    [InlineData(1, 1500, 8, 8)]
    [InlineData(3, 900, 4, 2)]
    [InlineData(64, 100, 4, 2)]   // prefill: 16-token tiles, split along chunks too when threads outnumber tiles
    [InlineData(40, 0, 6, 3)]
    public void Forward_AnyThreadCountRepeated_BitIdenticalToOneThread(int tokens, int start, int qHeads, int kvHeads)
    {
        var c = new Case(Seed(tokens, start, qHeads, kvHeads, 3), tokens, start, qHeads, kvHeads, headDim: 48);
        float[] one = c.Forward(Simd.Best, threads: 1);
        foreach (int threads in new[] { 2, 3, 7, 16 })
            for (int run = 0; run < 2; run++)
                Assert.Equal(one, c.Forward(Simd.Best, threads));
    }

    [Fact]
    public void Forward_RowsPastTheContext_AreNeverRead()
    {
        // NaN in every row after the last attended one: the output stays finite.
        var c = new Case(Seed(8), tokens: 2, start: 30, qHeads: 2, kvHeads: 1, headDim: 16, spare: 5);
        var expected = c.Forward(Simd.Best, 2);
        int first = (c.Start + c.Tokens) * c.KvHeads * c.HeadDim;
        c.K.AsSpan(first).Fill(float.NaN);
        c.V.AsSpan(first).Fill(float.NaN);
        Assert.Equal(expected, c.Forward(Simd.Best, 2));
    }

    [Theory]
    [InlineData(1, 3000, 1)]
    [InlineData(1, 3000, 2)]      // split decode: partial states
    [InlineData(50, 200, 2)]      // prefill tiles
    public void Forward_SteadyState_AllocatesNothing(int tokens, int start, int threads)
    {
        var c = new Case(Seed(9, tokens), tokens, start, qHeads: 8, kvHeads: 2, headDim: 64);
        var o = new float[c.Q.Length];
        var deltas = new long[6];
        for (int r = 0; r < deltas.Length; r++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            CachedAttention.Forward(c.Q, c.K, c.V, o, tokens, start, 8, 2, 64, c.Scale, Simd.Best, threads);
            deltas[r] = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        // The first call may size the scratch and partial states; later calls allocate nothing.
        Assert.Equal(new long[deltas.Length - 1], deltas[1..]);
    }

    [Fact]
    public void Forward_NoTokens_DoesNothing() =>
        CachedAttention.Forward([], new float[8], new float[8], [], 0, 4, 2, 1, 2, 1f);

    [Fact]
    public void Forward_QHeadsNotMultipleOfKvHeads_ThrowsNamingBoth()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() =>
            CachedAttention.Forward(new float[6 * 8], new float[4 * 8], new float[4 * 8], new float[6 * 8], 1, 0, 6, 4, 8, 1f));
        Assert.Equal("qHeads", e.ParamName);
        Assert.Contains("kvHeads (4)", e.Message);
        Assert.Contains("qHeads (6)", e.Message);
    }

    [Theory]
    [InlineData("kCache")]
    [InlineData("vCache")]
    public void Forward_CacheShorterThanContext_ThrowsNamingRowsAndPositions(string name)
    {
        // 2 new tokens from position 5 need 7 rows; the short cache has 6.
        float[] q = new float[2 * 4 * 8], o = new float[q.Length], full = new float[7 * 2 * 8], shortCache = new float[6 * 2 * 8];
        var e = Assert.Throws<ArgumentException>(() => CachedAttention.Forward(q,
            name == "kCache" ? shortCache : full, name == "vCache" ? shortCache : full, o, 2, 5, 4, 2, 8, 1f));
        Assert.Equal(name, e.ParamName);
        Assert.Contains("holds 6 rows", e.Message);
        Assert.Contains("startPosition 5 + tokens 2 = 7", e.Message);
    }

    [Theory]
    [InlineData("q")]
    [InlineData("o")]
    [InlineData("kCache")]
    public void Forward_WrongSpanLength_ThrowsNamingItAndTheSizes(string name)
    {
        float[] q = new float[name == "q" ? 65 : 64], o = new float[name == "o" ? 63 : 64];
        float[] k = new float[name == "kCache" ? 7 * 16 + 1 : 7 * 16], v = new float[7 * 16];
        var e = Assert.Throws<ArgumentException>(() => CachedAttention.Forward(q, k, v, o, 2, 5, 4, 2, 8, 1f));
        Assert.Equal(name, e.ParamName);
        Assert.Contains(name == "kCache" ? "kvHeads·headDim = 2·8" : "tokens·qHeads·headDim = 2·4·8", e.Message);
    }

    [Theory]
    [InlineData("tokens")]
    [InlineData("startPosition")]
    [InlineData("qHeads")]
    [InlineData("kvHeads")]
    [InlineData("headDim")]
    public void Forward_SizeOutOfRange_ThrowsNamingIt(string name)
    {
        int[] sizes = [1, 0, 2, 1, 4];
        string[] names = ["tokens", "startPosition", "qHeads", "kvHeads", "headDim"];
        sizes[Array.IndexOf(names, name)] = name is "tokens" or "startPosition" ? -1 : 0;
        var e = Assert.ThrowsAny<ArgumentException>(() => CachedAttention.Forward(new float[8], new float[8], new float[8], new float[8],
            sizes[0], sizes[1], sizes[2], sizes[3], sizes[4], 1f));
        Assert.Equal(name, e.ParamName);
    }

    [Fact]
    public void ReferenceForward_FirstToken_CopiesItsValue()
    {
        double[] q = [1, 2], k = [3, -1, 9, 9], v = [0.5, -4, 9, 9], o = new double[2];
        CachedAttention.ReferenceForward<double>(q, k, v, o, 1, 0, 1, 1, 2, 0.5);
        Assert.Equal([0.5, -4], o);
    }
}
