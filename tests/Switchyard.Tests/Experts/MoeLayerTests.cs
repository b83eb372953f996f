using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Nn.Layers;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Routing.Scorers;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Experts;

public class MoeLayerTests
{
    internal static MoeLayer Build(int d, int e, int f, int k, bool normalize, float capacity = 0f, int sharedF = 0, bool sharedGate = false,
        ulong seed = 1, float initStd = 0.5f, float routerStd = 0.5f, bool auxLosses = false, int segments = 1)
    {
        var options = new MoeLayerOptions
        {
            ModelDim = d, Experts = e, ExpertWidth = f, Router = "top-k", Segments = segments,
            RouterOptions = new TopKRouterOptions
            {
                K = k, Normalize = normalize, CapacityFactor = capacity,
                AuxAlpha = auxLosses ? 0.01f : 0f, ZBeta = auxLosses ? 0.001f : 0f,
            },
            SharedExpertWidth = sharedF, SharedExpertGate = sharedGate, InitStd = initStd,
        };
        MoeLayer layer = MoeLayer.Create(options, new Rng(seed));
        // Spread the router so that tokens prefer different experts.
        new Rng(seed + 100).FillNormal(((LinearScorer)layer.Router.Scorer).Weight.Value.Span, routerStd);
        return layer;
    }

    static Tensor Input(int n, int d, ulong seed, float scale = 1f)
    {
        var x = new Tensor(new Shape(n, d));
        new Rng(seed).FillNormal(x.Span, scale);
        return x;
    }

    static Tensor Run(MoeLayer layer, Tensor x, Tape? tape = null)
    {
        tape ??= new Tape();
        Var y = layer.Forward(tape, tape.Constant(x), new RoutingContext(new Rng(9)));
        return y.Value.Clone();
    }

    static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])),
                $"[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    [Theory]
    [InlineData(false, 0, false)]
    [InlineData(true, 0, false)]
    [InlineData(true, 24, true)]
    public void Forward_TopK_MatchesNaivePerTokenDouble(bool normalize, int sharedF, bool sharedGate)
    {
        // Given a top-2 of 8 layer over odd sizes
        MoeLayer layer = Build(d: 17, e: 8, f: 12, k: 2, normalize, sharedF: sharedF, sharedGate: sharedGate);
        Tensor x = Input(37, 17, 2);

        // When
        Tensor y = Run(layer, x);

        // Then every token is the weighted sum of its two experts (plus the shared expert)
        var reference = MoeReference.From(layer, x, normalize);
        Assert.All(reference.Kept, kept => Assert.Equal(2, kept.Length));
        AssertClose(reference.Forward(), y.Span, 2e-5);
    }

    [Fact]
    public void Forward_Rank3Input_SameAsFlattened()
    {
        MoeLayer layer = Build(d: 8, e: 4, f: 6, k: 2, normalize: true);
        Tensor x = Input(12, 8, 3);
        Tensor flat = Run(layer, x);
        var tape = new Tape();
        Var y = layer.Forward(tape, tape.Constant(x.Reshape(new Shape(3, 4, 8))), new RoutingContext(new Rng(9)));
        Assert.Equal(new Shape(3, 4, 8), y.Shape);
        Assert.Equal(flat.ToArray(), y.Value.ToArray());
    }

    [Fact]
    public void Backward_WholeLayer_MatchesFloat64CentralDifferences()
    {
        // Given a small layer with renormalised top-2, a gated shared expert, and loss = Σ R∘y
        const int n = 5, d = 6;
        MoeLayer layer = Build(d, e: 4, f: 4, k: 2, normalize: true, sharedF: 5, sharedGate: true);
        Tensor x = Input(n, d, 4);
        Tensor r = Input(n, d, 5);
        var tape = new Tape();
        Var xv = tape.Variable(x);
        Var y = layer.Forward(tape, xv, new RoutingContext(new Rng(9)));
        layer.ZeroGrad();

        // When
        tape.Backward(tape.Sum(tape.Mul(y, tape.Constant(r))));

        // Then each gradient matches central differences of the double reference with the plan's choices fixed
        var reference = MoeReference.From(layer, x, normalize: true);
        double[] weights = Rand.ToDouble(r.Span);
        AssertClose(reference.Forward(), y.Value.Span, 1e-5);
        double Loss(double[] _) => GradCheck.Dot(weights, reference.Forward());
        var experts = (SwiGluExperts)layer.Experts;
        var shared = layer.SharedExpert!;
        Check(reference.X, xv.Grad, "dx");
        Check(reference.Gate, ((LinearScorer)layer.Router.Scorer).Weight.Grad, "router weight");
        Check(reference.GateUp, experts.GateUpGrad, "expert gate/up");
        Check(reference.Down, experts.DownGrad, "expert down");
        Check(reference.SharedGateProj, ((Linear)shared.GateProj).Weight.Grad, "shared gate_proj");
        Check(reference.SharedUp, ((Linear)shared.UpProj).Weight.Grad, "shared up_proj");
        Check(reference.SharedDown, ((Linear)shared.DownProj).Weight.Grad, "shared down_proj");
        Check(reference.SharedGateW, layer.SharedExpertGate!.Weight.Grad, "shared_expert_gate");

        void Check(double[] values, Tensor grad, string what) =>
            GradCheck.AssertClose(GradCheck.Numeric(Loss, values), Rand.ToDouble(grad.Span), 2e-3, what);
    }

    [Fact]
    public void Forward_CapacityDropsTokens_DroppedTokensGetExactlyZero()
    {
        // Given top-1 with capacity factor 0.5: each of 4 experts keeps at most 5 of 40 tokens
        MoeLayer layer = Build(d: 8, e: 4, f: 6, k: 1, normalize: false, capacity: 0.5f);
        Tensor x = Input(40, 8, 6);

        // When
        Tensor y = Run(layer, x);

        // Then at least half the tokens are dropped, their routed output is exactly 0 (the residual
        // x + y passes them through bit for bit), and the kept ones match the reference
        RoutingPlan plan = layer.Plan;
        Assert.True(plan.DroppedCount >= 20, $"dropped {plan.DroppedCount}");
        Assert.True(layer.Statistics.DroppedFraction >= 0.5f);
        int fullyDropped = 0;
        for (int t = 0; t < 40; t++)
        {
            if (plan.ExpertsOf(t) != 0) continue;
            fullyDropped++;
            foreach (float v in y.Row(t)) Assert.Equal(0, BitConverter.SingleToInt32Bits(v));
            for (int c = 0; c < 8; c++) Assert.Equal(x.Row(t)[c], x.Row(t)[c] + y.Row(t)[c]);
        }
        Assert.True(fullyDropped >= 20);
        AssertClose(MoeReference.From(layer, x, normalize: false).Forward(), y.Span, 2e-5);
    }

    [Fact]
    public void Backward_DroppedTokens_GetNoGradientThroughExperts()
    {
        MoeLayer layer = Build(d: 8, e: 4, f: 6, k: 1, normalize: false, capacity: 0.5f);
        Tensor x = Input(40, 8, 6);
        var tape = new Tape();
        Var xv = tape.Variable(x);
        Var y = layer.Forward(tape, xv, new RoutingContext(new Rng(9)));
        tape.Backward(tape.Sum(y));
        for (int t = 0; t < 40; t++)
            if (layer.Plan.ExpertsOf(t) == 0)
                Assert.All(xv.Grad.Row(t).ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void Forward_KEqualsE_MatchesDenseMixture()
    {
        // Given top-k with k = E and renormalised weights: every token sees every expert with its softmax probability
        MoeLayer layer = Build(d: 9, e: 5, f: 7, k: 5, normalize: true);
        Tensor x = Input(21, 9, 7);

        // When
        Tensor y = Run(layer, x);

        // Then the layer is the dense softmax mixture of all experts
        AssertClose(MoeReference.From(layer, x, normalize: true).Dense(), y.Span, 2e-5);
    }

    [Fact]
    public void Parameters_HuggingFaceNamesInModuleOrder()
    {
        MoeLayer layer = Build(d: 4, e: 2, f: 3, k: 1, normalize: false, sharedF: 5, sharedGate: true);
        string[] names = layer.NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(
        [
            "gate.weight",
            "experts.0.gate_proj.weight", "experts.0.up_proj.weight", "experts.0.down_proj.weight",
            "experts.1.gate_proj.weight", "experts.1.up_proj.weight", "experts.1.down_proj.weight",
            "shared_expert.gate_proj.weight", "shared_expert.up_proj.weight", "shared_expert.down_proj.weight",
            "shared_expert_gate.weight",
        ], names);
        var shapes = layer.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Shape);
        Assert.Equal(new Shape(2, 4), shapes["gate.weight"]);
        Assert.Equal(new Shape(3, 4), shapes["experts.1.up_proj.weight"]);
        Assert.Equal(new Shape(4, 3), shapes["experts.1.down_proj.weight"]);
        Assert.Equal(new Shape(1, 4), shapes["shared_expert_gate.weight"]);
    }

    [Fact]
    public void Parameters_SigmoidBiasRouter_GateHoldsSelectionBias()
    {
        var layer = MoeLayer.Create(new MoeLayerOptions { ModelDim = 4, Experts = 4, ExpertWidth = 3, Router = "sigmoid-bias" }, new Rng(1));
        var named = layer.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.Equal(new Shape(4), named["gate.e_score_correction_bias"].Shape);
        Assert.False(named["gate.e_score_correction_bias"].Trainable);
        Assert.Equal("gate.weight", layer.NamedParameters()[0].Name);
    }

    [Fact]
    public void GateParameter_AliasesRouterWeightAndGradient()
    {
        MoeLayer layer = Build(d: 4, e: 2, f: 3, k: 1, normalize: false);
        var scorer = (LinearScorer)layer.Router.Scorer;
        var gate = layer.NamedParameters().Single(p => p.Name == "gate.weight").Parameter;
        gate.Value[5] = 42f;
        gate.Grad[3] = 7f;
        Assert.Equal(42f, scorer.Weight.Value[5]);
        Assert.Equal(7f, scorer.Weight.Grad[3]);
    }

    [Fact]
    public void Create_FineGrained_SplitsExpertsAndScalesK()
    {
        // Given E = 4 experts of width 8, segmented by m = 2
        MoeLayer layer = Build(d: 6, e: 4, f: 8, k: 2, normalize: true, segments: 2, sharedF: 0);
        var experts = (SwiGluExperts)layer.Experts;

        // Then 8 experts of width 4, 4 active per token: same active FLOPs as top-2 of width 8
        Assert.Equal(8, experts.Experts);
        Assert.Equal(4, experts.Width);
        Assert.Equal(4, layer.Router.Selector.K);
        Tensor x = Input(10, 6, 8);
        Tensor y = Run(layer, x);
        Assert.Equal(2.0 * 3 * 6 * 8 * 2, layer.FlopsPerToken, 6);
        AssertClose(MoeReference.From(layer, x, normalize: true).Forward(), y.Span, 2e-5);
    }

    [Fact]
    public void Create_SharedExperts_StoredAsOneMlpOfSummedWidth()
    {
        var layer = MoeLayer.Create(new MoeLayerOptions
        {
            ModelDim = 6, Experts = 4, ExpertWidth = 8, Segments = 2, SharedExperts = 2, SharedExpertName = "shared_experts",
        }, new Rng(1));
        Assert.Equal(8, layer.SharedExpert!.IntermediateSize);
        Assert.Contains(layer.NamedParameters(), p => p.Name == "shared_experts.down_proj.weight");
    }

    [Fact]
    public void Forward_ReportsStatisticsAndAuxLosses()
    {
        MoeLayer layer = Build(d: 8, e: 4, f: 6, k: 2, normalize: true, auxLosses: true);
        var tape = new Tape();
        var aux = new AuxLossAccumulator();
        layer.Forward(tape, tape.Constant(Input(30, 8, 9)), new RoutingContext(new Rng(1)), aux);
        Assert.NotNull(aux.Total);
        Assert.Equal(1, aux.Count);
        Assert.Equal(2, layer.Statistics.AuxLossCount);
        Assert.Equal(30, layer.Statistics.Items);
        Assert.Equal(2f, layer.Statistics.ExpertsPerItemMean);
        float expected = 0.01f * layer.Statistics.AuxLoss("load_balance") + 0.001f * layer.Statistics.AuxLoss("z_loss");
        Assert.Equal(expected, aux.Total!.Value[0], 1e-6f);
    }

    [Fact]
    public void Step_WarmForwardBackward_AllocatesNothing()
    {
        // Given a layer with shared expert, gate and aux losses, and a tape reused across steps
        MoeLayer layer = Build(d: 16, e: 8, f: 24, k: 2, normalize: true, sharedF: 16, sharedGate: true, auxLosses: true);
        Tensor x = Input(64, 16, 10);
        Tensor r = Input(64, 16, 11);
        var xGrad = new Tensor(x.Shape);
        var tape = new Tape(1 << 14);
        var aux = new AuxLossAccumulator();
        var context = new RoutingContext(new Rng(3)) { Training = true };

        void Step()
        {
            aux.Clear();
            Var y = layer.Forward(tape, tape.Leaf(x, xGrad), context, aux);
            Var loss = tape.Add(tape.Sum(tape.Mul(y, tape.Constant(r))), aux.Total!);
            tape.Backward(loss);
            layer.ZeroGrad();
            tape.Reset();
        }

        Step(); Step();
        Assert.Equal(0, SteadyAllocation.Bytes(Step));
    }

    [Fact]
    public void Step_Repeated_BitIdenticalOutputsAndGradients()
    {
        // Sizes above the parallel thresholds, so the kernels split work over threads.
        (float[] Y, float[] Dx, float[] Dgu, float[] Dd, float[] Dg) Once(MoeLayer layer)
        {
            Tensor x = Input(256, 64, 12);
            var tape = new Tape();
            Var xv = tape.Variable(x);
            Var y = layer.Forward(tape, xv, new RoutingContext(new Rng(3)));
            layer.ZeroGrad();
            tape.Backward(tape.Sum(tape.Mul(y, y)));
            var experts = (SwiGluExperts)layer.Experts;
            return (y.Value.ToArray(), xv.Grad.ToArray(), experts.GateUpGrad.ToArray(), experts.DownGrad.ToArray(),
                ((LinearScorer)layer.Router.Scorer).Weight.Grad.ToArray());
        }

        MoeLayer a = Build(d: 64, e: 8, f: 128, k: 2, normalize: true, sharedF: 32, sharedGate: true, initStd: 0.1f);
        MoeLayer b = Build(d: 64, e: 8, f: 128, k: 2, normalize: true, sharedF: 32, sharedGate: true, initStd: 0.1f);
        var first = Once(a);
        var again = Once(a);
        var other = Once(b);
        foreach (var run in new[] { again, other })
        {
            Assert.Equal(first.Y, run.Y);
            Assert.Equal(first.Dx, run.Dx);
            Assert.Equal(first.Dgu, run.Dgu);
            Assert.Equal(first.Dd, run.Dd);
            Assert.Equal(first.Dg, run.Dg);
        }
    }

    [Fact]
    public void Forward_ExpertChoice_TokensWithAnyNumberOfExpertsMatchReference()
    {
        // Given expert choice (experts pick tokens; weights = probabilities): some tokens get 0 experts, some several
        var layer = MoeLayer.Create(new MoeLayerOptions
        {
            ModelDim = 8, Experts = 4, ExpertWidth = 6, Router = "expert-choice",
            RouterOptions = new ExpertChoiceRouterOptions { CapacityFactor = 1f }, InitStd = 0.5f,
        }, new Rng(1));
        new Rng(101).FillNormal(((LinearScorer)layer.Router.Scorer).Weight.Value.Span, 1f);
        Tensor x = Input(24, 8, 13);

        // When
        Tensor y = Run(layer, x);

        // Then
        var reference = MoeReference.From(layer, x, normalize: false);
        Assert.Contains(reference.Kept, kept => kept.Length == 0);
        Assert.Contains(reference.Kept, kept => kept.Length > 1);
        AssertClose(reference.Forward(), y.Span, 2e-5);
    }

    [Fact]
    public void Forward_HashRouter_ConstantGatesStillTrainExperts()
    {
        var layer = MoeLayer.Create(new MoeLayerOptions { ModelDim = 6, Experts = 3, ExpertWidth = 4, Router = "hash" }, new Rng(1));
        var tape = new Tape();
        int[] ids = [5, 9, 5, 2, 7];
        Var y = layer.Forward(tape, tape.Constant(Input(5, 6, 14)), new RoutingContext(new Rng(1)) { TokenIds = ids });
        Assert.All(layer.Plan.Weight.ToArray(), w => Assert.Equal(1f, w));
        layer.ZeroGrad();
        tape.Backward(tape.Sum(tape.Mul(y, y)));
        Assert.Contains(((SwiGluExperts)layer.Experts).DownGrad.ToArray(), g => g != 0f);
    }

    [Fact]
    public void Forward_RecordingOff_SameValuesNoNodes()
    {
        MoeLayer layer = Build(d: 8, e: 4, f: 6, k: 2, normalize: true, sharedF: 4, sharedGate: true);
        Tensor x = Input(9, 8, 15);
        Tensor recorded = Run(layer, x);
        var tape = new Tape();
        Var y;
        using (tape.NoGrad()) y = layer.Forward(tape, tape.Constant(x), new RoutingContext(new Rng(9)));
        Assert.Equal(0, tape.NodeCount);
        Assert.False(y.RequiresGrad);
        Assert.Equal(recorded.ToArray(), y.Value.ToArray());
    }

    [Fact]
    public void Forward_NoTokens_EmptyOutput()
    {
        MoeLayer layer = Build(d: 4, e: 2, f: 3, k: 1, normalize: false);
        var tape = new Tape();
        Var y = layer.Forward(tape, tape.Constant(new Tensor(new Shape(0, 4))), new RoutingContext(new Rng(1)));
        Assert.Equal(new Shape(0, 4), y.Shape);
    }

    [Fact]
    public void Constructor_MismatchedExpertCount_Throws()
    {
        Router router = RouterCatalog.Create("top-k", new RouterSetup(4, 3, new Rng(1)));
        var experts = new SwiGluExperts(4, 2, 3, new Rng(2));
        Assert.Throws<ArgumentException>(() => new MoeLayer(router, experts));
    }

    [Fact]
    public void Forward_WrongWidth_ThrowsShapeMismatch()
    {
        MoeLayer layer = Build(d: 4, e: 2, f: 3, k: 1, normalize: false);
        var tape = new Tape();
        Assert.Throws<ShapeMismatchException>(() => layer.Forward(tape, tape.Constant(new Tensor(new Shape(3, 5))), new RoutingContext(new Rng(1))));
    }
}
