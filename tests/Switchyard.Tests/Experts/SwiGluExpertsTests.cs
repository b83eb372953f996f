using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Routing;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Experts;

public class SwiGluExpertsTests
{
    public static TheoryData<SimdWidth, int> WidthsAndSizes()
    {
        var data = new TheoryData<SimdWidth, int>();
        foreach (SimdWidth w in Enum.GetValues<SimdWidth>())
            foreach (int f in new[] { 1, 3, 7, 16, 17, 31, 33, 65 }) data.Add(w, f);
        return data;
    }

    [Theory, MemberData(nameof(WidthsAndSizes))]
    public unsafe void SwiGluRows_EachWidth_MatchesReference(SimdWidth width, int f)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        const int rows = 5;
        var rng = new Rng((ulong)f);
        float[] gu = Rand.Floats(rng, rows * 2 * f, 4f), dh = Rand.Floats(rng, rows * f);
        var h = new float[rows * f];
        fixed (float* pgu = gu, ph = h) ExpertKernels.SwiGluRows(pgu, ph, rows, f, width, threads: 2);
        var dgu = (float[])gu.Clone();
        fixed (float* pgu = dgu, pdh = dh) ExpertKernels.SwiGluRowsBackward(pgu, pdh, rows, f, width, threads: 2);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < f; j++)
            {
                double g = gu[r * 2 * f + j], u = gu[r * 2 * f + f + j], s = 1 / (1 + Math.Exp(-g));
                Assert.Equal(g * s * u, h[r * f + j], 1e-5 * (1 + Math.Abs(g * s * u)));
                double dg = dh[r * f + j] * u * s * (1 + g * (1 - s)), du = dh[r * f + j] * g * s;
                Assert.Equal(dg, dgu[r * 2 * f + j], 1e-5 * (1 + Math.Abs(dg)));
                Assert.Equal(du, dgu[r * 2 * f + f + j], 1e-5 * (1 + Math.Abs(du)));
            }
    }

    [Fact]
    public void Forward_GroupedRowsWithEmptyExpert_MatchesPerRowReference()
    {
        // Given a hand-made plan in which expert 2 gets no rows
        const int d = 7, e = 4, f = 5, items = 6;
        var experts = new SwiGluExperts(d, e, f, new Rng(1), initStd: 0.5f);
        var plan = new RoutingPlan();
        plan.Begin(items, e);
        int[][] choice = [[0, 1], [3], [1, 3], [0], [3, 0], [1]];
        for (int i = 0; i < items; i++) foreach (int x in choice[i]) plan.Add(i, x, 1f);
        plan.Finish();
        Assert.Equal(0, plan.Offsets[3] - plan.Offsets[2]);
        var tape = new Tape();
        var rows = new Tensor(new Shape(plan.Count, d));
        new Rng(2).FillNormal(rows.Span);

        // When
        Var y = experts.Forward(tape, tape.Constant(rows), plan);

        // Then row j is expert plan.Expert[j] applied to row j
        var o = new double[d];
        for (int j = 0; j < plan.Count; j++)
        {
            SwiGluExpertView v = experts.Expert(plan.Expert[j]);
            ExpertKernels.ReferenceExpert<double>(Rand.ToDouble(rows.Row(j)), Rand.ToDouble(v.Gate.Value.Span), Rand.ToDouble(v.Up.Value.Span),
                Rand.ToDouble(v.Down.Value.Span), o, d, f);
            for (int c = 0; c < d; c++) Assert.Equal(o[c], y.Value.Row(j)[c], 1e-5 * (1 + Math.Abs(o[c])));
        }
    }

    [Fact]
    public void ExpertViews_WriteValueOrGradient_ChangesStack()
    {
        // Given 3 experts, F = 4, d = 5
        var experts = new SwiGluExperts(5, 3, 4, new Rng(1));
        SwiGluExpertView v = experts.Expert(1);

        // When each view is written
        v.Gate.Value[2] = 11f;
        v.Up.Value[3] = 12f;
        v.Down.Value[4] = 13f;
        v.Up.Grad[1] = 14f;
        v.Down.Grad[0] = 15f;

        // Then the stacks changed where the HF layout says: gate rows [0, F), up rows [F, 2F) of slice e
        int fd = 4 * 5;
        Assert.Equal(11f, experts.GateUp[1 * 2 * fd + 2]);
        Assert.Equal(12f, experts.GateUp[1 * 2 * fd + fd + 3]);
        Assert.Equal(13f, experts.Down[1 * fd + 4]);
        Assert.Equal(14f, experts.GateUpGrad[1 * 2 * fd + fd + 1]);
        Assert.Equal(15f, experts.DownGrad[1 * fd]);
        Assert.Equal(new Shape(4, 5), v.Gate.Shape);
        Assert.Equal(new Shape(5, 4), v.Down.Shape);

        // And zeroing a view's gradient clears its slice of the stack
        experts.ZeroGrad();
        Assert.All(experts.GateUpGrad.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void NamedParameters_MixtralNaming_W1W2W3()
    {
        var experts = new SwiGluExperts(4, 2, 3, new Rng(1), naming: ExpertNaming.Mixtral);
        Assert.Equal(["0.w1.weight", "0.w2.weight", "0.w3.weight", "1.w1.weight", "1.w2.weight", "1.w3.weight"],
            experts.NamedParameters().Select(p => p.Name).ToArray());
        var named = experts.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.Same(experts.Expert(1).Up, named["1.w3.weight"]);
        Assert.Same(experts.Expert(1).Down, named["1.w2.weight"]);
    }

    [Fact]
    public void Constructor_SameSeed_SameWeightsAsPerExpertMlps()
    {
        // Experts draw gate, up, down per expert, as a list of SwiGluMlp would: dense checkpoints and inits line up.
        var experts = new SwiGluExperts(6, 2, 4, new Rng(5), initStd: 0.02f);
        var rng = new Rng(5);
        for (int e = 0; e < 2; e++)
        {
            var mlp = new Switchyard.Nn.Layers.SwiGluMlp(6, 4, rng);
            Assert.Equal(((Switchyard.Nn.Layers.Linear)mlp.GateProj).Weight.Value.ToArray(), experts.Expert(e).Gate.Value.ToArray());
            Assert.Equal(((Switchyard.Nn.Layers.Linear)mlp.DownProj).Weight.Value.ToArray(), experts.Expert(e).Down.Value.ToArray());
        }
    }

    [Fact]
    public void SaveLoad_ByHuggingFaceNames_RestoresStackedWeights()
    {
        MoeLayer a = MoeLayerTests.Build(d: 6, e: 3, f: 4, k: 2, normalize: true, sharedF: 4, sharedGate: true, seed: 1);
        MoeLayer b = MoeLayerTests.Build(d: 6, e: 3, f: 4, k: 2, normalize: true, sharedF: 4, sharedGate: true, seed: 2);
        string path = Path.Combine(Path.GetTempPath(), $"switchyard-moe-{Guid.NewGuid():N}.safetensors");
        try
        {
            a.Save(path);
            b.Load(path);
        }
        finally { File.Delete(path); }
        var sa = (SwiGluExperts)a.Experts;
        var sb = (SwiGluExperts)b.Experts;
        Assert.Equal(sa.GateUp.ToArray(), sb.GateUp.ToArray());
        Assert.Equal(sa.Down.ToArray(), sb.Down.ToArray());
    }

    [Fact]
    public void Forward_FrozenExperts_NoWeightGradients()
    {
        var experts = new SwiGluExperts(4, 2, 3, new Rng(1), initStd: 0.5f);
        experts.SetTrainable(false);
        var plan = new RoutingPlan();
        plan.Begin(2, 2);
        plan.Add(0, 1, 1f); plan.Add(1, 0, 1f);
        plan.Finish();
        var tape = new Tape();
        var rows = new Tensor(new Shape(2, 4));
        rows.Span.Fill(1f);
        Var x = tape.Variable(rows);
        tape.Backward(tape.Sum(experts.Forward(tape, x, plan)));
        Assert.All(experts.GateUpGrad.ToArray(), g => Assert.Equal(0f, g));
        Assert.Contains(x.Grad.ToArray(), g => g != 0f);
    }
}
