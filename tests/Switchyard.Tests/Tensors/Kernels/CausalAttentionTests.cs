using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Tensors.Kernels;

public class CausalAttentionTests
{
    static readonly SimdWidth[] Widths = [SimdWidth.Scalar, SimdWidth.V256, SimdWidth.V512];
    static readonly int[] Seqs = [1, 2, 5, 17, 64, 130]; // 64 and 130 cross the default 64-query/32-key tiles
    static readonly (int Q, int Kv)[] Heads = [(1, 1), (4, 4), (4, 2), (6, 1)];
    static readonly int[] HeadDims = [8, 16, 24, 64];

    public static TheoryData<int, int, int, int, int> Shapes
    {
        get
        {
            var data = new TheoryData<int, int, int, int, int>();
            int n = 0;
            foreach (int seq in Seqs)
            foreach (var (qh, kv) in Heads)
            foreach (int d in HeadDims)
                data.Add(1 + n++ % 2, seq, qh, kv, d);
            return data;
        }
    }

    /// <summary>Random inputs and upstream gradient; gradients prefilled so accumulation is checked.</summary>
    sealed class Case
    {
        public readonly int Batch, Seq, QHeads, KvHeads, HeadDim;
        public readonly float Scale;
        public readonly float[] Q, K, V, DO, Dq0, Dk0, Dv0;

        public Case(ulong seed, int batch, int seq, int qHeads, int kvHeads, int headDim)
        {
            Batch = batch; Seq = seq; QHeads = qHeads; KvHeads = kvHeads; HeadDim = headDim;
            Scale = 1f / MathF.Sqrt(headDim);
            var rng = new Rng(seed);
            int qn = batch * seq * qHeads * headDim, kn = batch * seq * kvHeads * headDim;
            // Scores up to a few units: softmax rows range from flat to peaked.
            Q = Rand.Floats(rng, qn, 2f); K = Rand.Floats(rng, kn, 2f); V = Rand.Floats(rng, kn);
            DO = Rand.Floats(rng, qn);
            Dq0 = Rand.Floats(rng, qn); Dk0 = Rand.Floats(rng, kn); Dv0 = Rand.Floats(rng, kn);
        }

        public int QLen => Q.Length;
        public int KLen => K.Length;
        public int Rows => Batch * QHeads * Seq;

        public (float[] O, float[] Lse) Forward(SimdWidth w, int threads, int qt = CausalAttention.DefaultQueryTile, int kt = CausalAttention.DefaultKeyTile)
        {
            float[] o = new float[QLen], lse = new float[Rows];
            CausalAttention.Forward(Q, K, V, o, lse, Batch, Seq, QHeads, KvHeads, HeadDim, Scale, w, threads, qt, kt);
            return (o, lse);
        }

        public (float[] Dq, float[] Dk, float[] Dv) Backward(float[] o, float[] lse, SimdWidth w, int threads, int qt = CausalAttention.DefaultQueryTile, int kt = CausalAttention.DefaultKeyTile)
        {
            float[] dq = (float[])Dq0.Clone(), dk = (float[])Dk0.Clone(), dv = (float[])Dv0.Clone();
            CausalAttention.Backward(Q, K, V, o, lse, DO, dq, dk, dv, Batch, Seq, QHeads, KvHeads, HeadDim, Scale, w, threads, qt, kt);
            return (dq, dk, dv);
        }

        /// <summary>The double oracle on the same (float) inputs: o, lse, and prefill + gradients.</summary>
        public (double[] O, double[] Lse, double[] Dq, double[] Dk, double[] Dv) Reference()
        {
            double[] q = Rand.ToDouble(Q), k = Rand.ToDouble(K), v = Rand.ToDouble(V), dO = Rand.ToDouble(DO);
            double[] o = new double[QLen], lse = new double[Rows];
            CausalAttention.ReferenceForward<double>(q, k, v, o, lse, Batch, Seq, QHeads, KvHeads, HeadDim, Scale);
            double[] dq = Rand.ToDouble(Dq0), dk = Rand.ToDouble(Dk0), dv = Rand.ToDouble(Dv0);
            CausalAttention.ReferenceBackward<double>(q, k, v, o, lse, dO, dq, dk, dv, Batch, Seq, QHeads, KvHeads, HeadDim, Scale);
            return (o, lse, dq, dk, dv);
        }
    }

    static ulong Seed(params int[] parts)
    {
        ulong s = 1469598103934665603UL;
        foreach (int p in parts) s = (s ^ (ulong)p) * 1099511628211UL;
        return s;
    }

    // Float fast path vs double oracle: different summation orders and a polynomial exp, so a
    // relative bound. dk/dv sum up to 130 tokens × 6 heads of terms; the worst seen is ~3.5e-6.
    static void AssertNear(double[] expected, float[] actual, string what, double tolerance = 2e-5) =>
        GradCheck.AssertClose(expected, Rand.ToDouble(actual), tolerance, what);

    [Theory, MemberData(nameof(Shapes))]
    public void ForwardAndBackward_EveryWidthRandomShapes_MatchDoubleReference(int batch, int seq, int qHeads, int kvHeads, int headDim)
    {
        // One oracle per shape, every supported width against it (the oracle dominates the cost).
        var c = new Case(Seed(batch, seq, qHeads, kvHeads, headDim), batch, seq, qHeads, kvHeads, headDim);
        var expected = c.Reference();
        foreach (var width in Widths)
        {
            if (!Simd.IsSupported(width)) continue;
            var (o, lse) = c.Forward(width, threads: 2);
            AssertNear(expected.O, o, $"{width} o");
            AssertNear(expected.Lse, lse, $"{width} logSumExp");

            var (dq, dk, dv) = c.Backward(o, lse, width, threads: 2);
            AssertNear(expected.Dq, dq, $"{width} dq");
            AssertNear(expected.Dk, dk, $"{width} dk");
            AssertNear(expected.Dv, dv, $"{width} dv");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(33)]
    [InlineData(40)]
    [InlineData(100)]
    [InlineData(128)]
    public void ForwardAndBackward_OddHeadDims_MatchDoubleReference(int headDim)
    {
        // Vector paths over headDim end in V256 and scalar tails; the public overload runs too.
        var c = new Case(Seed(headDim, 41), batch: 1, seq: 37, qHeads: 4, kvHeads: 2, headDim);
        var expected = c.Reference();
        foreach (var width in Widths)
        {
            if (!Simd.IsSupported(width)) continue;
            var (o, lse) = c.Forward(width, threads: 2);
            AssertNear(expected.O, o, $"{width} o");
            AssertNear(expected.Lse, lse, $"{width} logSumExp");
            var (dq, dk, dv) = c.Backward(o, lse, width, threads: 2);
            AssertNear(expected.Dq, dq, $"{width} dq");
            AssertNear(expected.Dk, dk, $"{width} dk");
            AssertNear(expected.Dv, dv, $"{width} dv");
        }

        float[] po = new float[c.QLen], plse = new float[c.Rows];
        CausalAttention.Forward(c.Q, c.K, c.V, po, plse, c.Batch, c.Seq, c.QHeads, c.KvHeads, c.HeadDim, c.Scale);
        float[] pdq = (float[])c.Dq0.Clone(), pdk = (float[])c.Dk0.Clone(), pdv = (float[])c.Dv0.Clone();
        CausalAttention.Backward(c.Q, c.K, c.V, po, plse, c.DO, pdq, pdk, pdv, c.Batch, c.Seq, c.QHeads, c.KvHeads, c.HeadDim, c.Scale);
        AssertNear(expected.O, po, "public o");
        AssertNear(expected.Dq, pdq, "public dq");
        AssertNear(expected.Dk, pdk, "public dk");
        AssertNear(expected.Dv, pdv, "public dv");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(5, 3)]
    [InlineData(7, 16)]
    [InlineData(64, 4)]
    public void ForwardAndBackward_OddTileSizes_MatchDoubleReference(int queryTile, int keyTile)
    {
        var c = new Case(Seed(queryTile, keyTile), batch: 2, seq: 19, qHeads: 4, kvHeads: 2, headDim: 40);
        var expected = c.Reference();

        var (o, lse) = c.Forward(Simd.Best, threads: 2, queryTile, keyTile);
        AssertNear(expected.O, o, "o");
        AssertNear(expected.Lse, lse, "logSumExp");

        var (dq, dk, dv) = c.Backward(o, lse, Simd.Best, threads: 2, queryTile, keyTile);
        AssertNear(expected.Dq, dq, "dq");
        AssertNear(expected.Dk, dk, "dk");
        AssertNear(expected.Dv, dv, "dv");
    }

    [Theory]
    [InlineData(2, 5, 4, 2, 3)]
    [InlineData(1, 6, 3, 1, 4)]
    [InlineData(1, 4, 2, 2, 5)]
    public void ReferenceBackward_GroupedQueryHeads_MatchesCentralDifferences_InFloat64(int batch, int seq, int qHeads, int kvHeads, int headDim)
    {
        // Given: random q, k, v and the loss L = Σ w·o
        var rng = new Rng(Seed(batch, seq, qHeads, kvHeads, headDim, 7));
        int qn = batch * seq * qHeads * headDim, kn = batch * seq * kvHeads * headDim, rows = batch * qHeads * seq;
        double[] q = Rand.Doubles(rng, qn, 2), k = Rand.Doubles(rng, kn, 2), v = Rand.Doubles(rng, kn), w = Rand.Doubles(rng, qn);
        const double scale = 0.7;
        double Loss(double[] qq, double[] kk, double[] vv)
        {
            double[] o = new double[qn], lse = new double[rows];
            CausalAttention.ReferenceForward<double>(qq, kk, vv, o, lse, batch, seq, qHeads, kvHeads, headDim, scale);
            return GradCheck.Dot(w, o);
        }

        // When: the analytic backward runs with dO = w
        double[] o = new double[qn], lse = new double[rows];
        CausalAttention.ReferenceForward<double>(q, k, v, o, lse, batch, seq, qHeads, kvHeads, headDim, scale);
        double[] dq = new double[qn], dk = new double[kn], dv = new double[kn];
        CausalAttention.ReferenceBackward<double>(q, k, v, o, lse, w, dq, dk, dv, batch, seq, qHeads, kvHeads, headDim, scale);

        // Then: it agrees with central differences for every input
        GradCheck.AssertClose(GradCheck.Numeric(x => Loss(x, k, v), q), dq, 1e-6, "dq");
        GradCheck.AssertClose(GradCheck.Numeric(x => Loss(q, x, v), k), dk, 1e-6, "dk");
        GradCheck.AssertClose(GradCheck.Numeric(x => Loss(q, k, x), v), dv, 1e-6, "dv");
    }

    [Fact]
    public void ReferenceForward_SingleToken_CopiesValue()
    {
        // One token attends only to itself: o = v, logSumExp = scale·q·k.
        double[] q = [1, 2], k = [3, -1], v = [0.5, -4], o = new double[2], lse = new double[1];
        CausalAttention.ReferenceForward<double>(q, k, v, o, lse, 1, 1, 1, 1, 2, 0.5);
        Assert.Equal([0.5, -4], o);
        Assert.Equal(0.5, lse[0], 1e-15);
    }

    [Theory]
    [InlineData(CausalAttention.DefaultQueryTile, CausalAttention.DefaultKeyTile)]
    [InlineData(4, 3)]
    public void Forward_LaterTokenChanges_EarlierOutputsBitIdentical(int queryTile, int keyTile)
    {
        // Given: a batch whose second sequence gets new k and v from token 9 on
        const int batch = 2, seq = 17, qHeads = 4, kvHeads = 2, headDim = 24, changed = 9;
        var c = new Case(Seed(3, queryTile), batch, seq, qHeads, kvHeads, headDim);
        var (o, lse) = c.Forward(Simd.Best, 2, queryTile, keyTile);
        float[] k2 = (float[])c.K.Clone(), v2 = (float[])c.V.Clone();
        int tokenWidth = kvHeads * headDim;
        for (int j = changed; j < seq; j++)
        for (int e = 0; e < tokenWidth; e++)
        {
            int at = (seq + j) * tokenWidth + e;
            k2[at] += 0.5f;
            v2[at] -= 0.25f;
        }

        // When
        float[] o2 = new float[o.Length], lse2 = new float[lse.Length];
        CausalAttention.Forward(c.Q, k2, v2, o2, lse2, batch, seq, qHeads, kvHeads, headDim, c.Scale, Simd.Best, 2, queryTile, keyTile);

        // Then: every earlier query (and the whole first sequence) is unchanged to the bit
        int rowWidth = qHeads * headDim;
        int untouched = (seq + changed) * rowWidth;
        Assert.Equal(o.AsSpan(0, untouched).ToArray(), o2.AsSpan(0, untouched).ToArray());
        Assert.NotEqual(o.AsSpan(untouched).ToArray(), o2.AsSpan(untouched).ToArray());
        for (int h = 0; h < qHeads; h++)
        {
            int row = (1 * qHeads + h) * seq;
            Assert.Equal(lse.AsSpan(row, changed).ToArray(), lse2.AsSpan(row, changed).ToArray());
        }
        Assert.Equal(lse.AsSpan(0, qHeads * seq).ToArray(), lse2.AsSpan(0, qHeads * seq).ToArray());
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    [InlineData(2, 3)]
    [InlineData(3, 1)]
    [InlineData(7, 1)]
    [InlineData(16, 1)]
    public void ForwardAndBackward_ManyThreadsRepeated_BitIdenticalToOneThread(int threads, int kvHeads)
    {
        // Each output element has one writer summing in a fixed order, so neither the run nor the
        // split may matter. Parts beyond the runner's threads still run (several per thread), so
        // 7 and 16 exercise the cost-balanced split even on two cores.
        var c = new Case(Seed(11, kvHeads), batch: 2, seq: 130, qHeads: 6, kvHeads, headDim: 40);
        var (o, lse) = c.Forward(Simd.Best, threads: 1);
        var (dq, dk, dv) = c.Backward(o, lse, Simd.Best, threads: 1);
        for (int run = 0; run < 3; run++)
        {
            var (o2, lse2) = c.Forward(Simd.Best, threads);
            var (dq2, dk2, dv2) = c.Backward(o2, lse2, Simd.Best, threads);
            Assert.Equal(o, o2);
            Assert.Equal(lse, lse2);
            Assert.Equal(dq, dq2);
            Assert.Equal(dk, dk2);
            Assert.Equal(dv, dv2);
        }
    }

    [Fact]
    public void ForwardAndBackward_SteadyState_AllocateNothing()
    {
        var c = new Case(Seed(5), batch: 1, seq: 40, qHeads: 4, kvHeads: 1, headDim: 16);
        float[] o = new float[c.QLen], lse = new float[c.Rows];
        float[] dq = new float[c.QLen], dk = new float[c.KLen], dv = new float[c.KLen];
        void Step()
        {
            CausalAttention.Forward(c.Q, c.K, c.V, o, lse, 1, 40, 4, 1, 16, c.Scale, Simd.Best, 1);
            CausalAttention.Backward(c.Q, c.K, c.V, o, lse, c.DO, dq, dk, dv, 1, 40, 4, 1, 16, c.Scale, Simd.Best, 1);
        }
        var deltas = new long[6];
        for (int r = 0; r < deltas.Length; r++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Step();
            deltas[r] = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        // The first step may size the per-thread scratch; later steps must not allocate at all.
        Assert.Equal(new long[deltas.Length - 1], deltas[1..]);
    }

    [Fact]
    public void Forward_EmptyBatch_DoesNothing()
    {
        CausalAttention.Forward([], [], [], [], [], 0, 5, 4, 2, 8, 1f);
        CausalAttention.Backward([], [], [], [], [], [], [], [], [], 3, 0, 4, 2, 8, 1f);
    }

    [Fact]
    public void Forward_QHeadsNotMultipleOfKvHeads_ThrowsNamingBoth()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() =>
            CausalAttention.Forward(new float[6 * 8], new float[4 * 8], new float[4 * 8], new float[6 * 8], new float[6], 1, 1, 6, 4, 8, 1f));
        Assert.Equal("qHeads", e.ParamName);
        Assert.Contains("kvHeads", e.Message);
    }

    [Theory]
    [InlineData("batch")]
    [InlineData("seq")]
    [InlineData("qHeads")]
    [InlineData("kvHeads")]
    [InlineData("headDim")]
    public void Forward_NonPositiveSize_ThrowsNamingIt(string name)
    {
        int[] sizes = [1, 2, 2, 1, 4];
        string[] names = ["batch", "seq", "qHeads", "kvHeads", "headDim"];
        sizes[Array.IndexOf(names, name)] = name is "batch" or "seq" ? -1 : 0;
        var e = Assert.ThrowsAny<ArgumentException>(() =>
            CausalAttention.Forward(new float[16], new float[8], new float[8], new float[16], new float[4],
                sizes[0], sizes[1], sizes[2], sizes[3], sizes[4], 1f));
        Assert.Equal(name, e.ParamName);
    }

    [Theory]
    [InlineData("q")]
    [InlineData("k")]
    [InlineData("v")]
    [InlineData("o")]
    [InlineData("logSumExp")]
    public void Forward_WrongSpanLength_ThrowsNamingIt(string name)
    {
        // batch 2, seq 3, 4 query heads, 2 kv heads, headDim 5
        var a = Buffers(name);
        var e = Assert.Throws<ArgumentException>(() =>
            CausalAttention.Forward(a["q"], a["k"], a["v"], a["o"], a["logSumExp"], 2, 3, 4, 2, 5, 1f));
        Assert.Equal(name, e.ParamName);
        Assert.Contains(name, e.Message);
        Assert.Contains((a[name].Length).ToString(), e.Message);
    }

    [Theory]
    [InlineData("q")]
    [InlineData("k")]
    [InlineData("v")]
    [InlineData("o")]
    [InlineData("logSumExp")]
    [InlineData("dO")]
    [InlineData("dq")]
    [InlineData("dk")]
    [InlineData("dv")]
    public void Backward_WrongSpanLength_ThrowsNamingIt(string name)
    {
        var a = Buffers(name);
        var e = Assert.Throws<ArgumentException>(() =>
            CausalAttention.Backward(a["q"], a["k"], a["v"], a["o"], a["logSumExp"], a["dO"], a["dq"], a["dk"], a["dv"], 2, 3, 4, 2, 5, 1f));
        Assert.Equal(name, e.ParamName);
        Assert.Contains(name, e.Message);
    }

    static Dictionary<string, float[]> Buffers(string wrong)
    {
        const int qn = 2 * 3 * 4 * 5, kn = 2 * 3 * 2 * 5, rows = 2 * 4 * 3;
        var sizes = new Dictionary<string, int>
        {
            ["q"] = qn, ["k"] = kn, ["v"] = kn, ["o"] = qn, ["logSumExp"] = rows,
            ["dO"] = qn, ["dq"] = qn, ["dk"] = kn, ["dv"] = kn,
        };
        return sizes.ToDictionary(p => p.Key, p => new float[p.Key == wrong ? p.Value + 1 : p.Value]);
    }
}
