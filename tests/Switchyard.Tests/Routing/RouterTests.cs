using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Routing;

public class RouterTests
{
    [Theory]
    [InlineData(false, 0f, false)] // Switch: weight = probability
    [InlineData(true, 0f, false)] // Mixtral: renormalised over the selected
    [InlineData(true, 0.5f, false)] // with drops: still over the selected
    [InlineData(true, 0.5f, true)] // with drops, renormalised over the kept
    public void Gates_GradientThroughSoftmax_MatchesFloat64(bool normalize, float capacityFactor, bool renormalizeAfterDrop)
    {
        // Given logits whose top-2 selection (and drops) are fixed by the float run
        const int n = 6, e = 4, k = 2;
        Tensor h = TapeGradCheck.Random(new Shape(n, e), 51, -2f, 2f);
        var selector = new TopKSelector(k) { Normalize = normalize, CapacityFactor = capacityFactor, DropPolicy = DropPolicy.Score, RenormalizeAfterDrop = renormalizeAfterDrop };
        RoutingPlan? plan = null;

        TapeGradCheck.Check([h], (tape, v) =>
        {
            (_, plan, _) = RouteHelper.Route(tape, v[0], selector, GateActivation.Softmax);
            return plan.Gates!;
        }, x =>
        {
            // The gate rule in double over the plan's structure
            double[] p = RouteHelper.Softmax(x[0], n, e);
            var y = new double[plan!.Count];
            for (int j = 0; j < plan.Count; j++)
            {
                int i = plan.Item[j];
                double den = 1;
                if (normalize)
                {
                    den = 1e-20;
                    if (renormalizeAfterDrop) for (int m = plan.ItemOffsets[i]; m < plan.ItemOffsets[i + 1]; m++) den += p[i * e + plan.Expert[plan.ItemSlot[m]]];
                    else for (int m = plan.SelectedOffsets[i]; m < plan.SelectedOffsets[i + 1]; m++) den += p[i * e + plan.SelectedExpert[m]];
                }
                y[j] = p[i * e + plan.Expert[j]] / den;
            }
            return y;
        });
        if (capacityFactor > 0) Assert.True(plan!.DroppedCount > 0);
    }

    [Fact]
    public void Statistics_KnownPlan_MatchHandComputedMetrics()
    {
        // Given 4 items over 2 experts, top-1, uniform probabilities except item 3 → expert 1
        var h = new Tensor(new Shape(4, 2));
        h[7] = 1f;
        var tape = new Tape(4096);
        var (_, _, router) = RouteHelper.Route(tape, tape.Constant(h), new TopKSelector(1), GateActivation.Softmax);
        RoutingStatistics s = router.Statistics;

        // Then 3 of 4 assignments go to expert 0 (ties → lower id)
        Assert.Equal([0.75f, 0.25f], s.Load.ToArray());
        Assert.Equal(0.5f, s.LoadCv, 1e-6f); // std 0.25 / mean 0.5
        Assert.Equal(1.5f, s.LoadMaxOverMean, 1e-6f);
        Assert.Equal([0, 4, 0], s.ExpertsPerItemHistogram.ToArray());
        Assert.Equal(1f, s.ExpertsPerItemMean);
        Assert.Equal(0f, s.DroppedFraction);
        double q = 1 / (1 + Math.E);
        double expected = (3 * Math.Log(2) - q * Math.Log(q) - (1 - q) * Math.Log(1 - q)) / 4;
        Assert.Equal(expected, s.Entropy, 1e-6);
    }

    [Fact]
    public void Route_AllScoresEqual_PicksLowestExpertIds()
    {
        var tape = new Tape(4096);
        var (_, plan, _) = RouteHelper.Route(tape, tape.Constant(new Tensor(new Shape(3, 5))), new TopKSelector(2), GateActivation.Softmax);
        Assert.Equal([0, 3, 6, 6, 6, 6], plan.Offsets.ToArray());
    }

    [Theory]
    [InlineData("top-k", "capacity_factor=1.25", "drop_policy=score")]
    [InlineData("mixtral", "capacity_factor=1", "renormalize_after_drop=true")]
    [InlineData("switch", "noisy=true", "z_beta=0.001")]
    [InlineData("sigmoid-bias", "groups=2", "top_groups=1")]
    [InlineData("expert-choice", "z_beta=0.001", "capacity_factor=2")]
    [InlineData("hash", "seed=3", "balanced=false")]
    [InlineData("top-p", "p=0.5", "entropy_beta=0.001")]
    [InlineData("adamoe", "null_experts=4", "k=3")]
    [InlineData("smoe-dropout", "k_min=2", "k_max=8")]
    public void Route_WarmTrainingStep_AllocatesNothing(string name, string option1, string option2)
    {
        // Given a layer's router, plan, context and tape reused across steps
        const int n = 32, d = 8, e = 8;
        Router router = RouterCatalog.Create(name, new RouterSetup(d, e, new Rng(1)), [option1, option2]);
        var x = new Tensor(new Shape(n, d));
        new Rng(2).FillNormal(x.Span, 20f);
        var ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = i * 7 % 50;
        var context = new RoutingContext(new Rng(3)) { TokenIds = ids, Training = true, SequenceLength = 16 };
        var plan = new RoutingPlan();
        var tape = new Tape(1 << 14);
        var xGrad = new Tensor(x.Shape);

        void Step()
        {
            Var xv = tape.Leaf(x, xGrad);
            Var? aux = router.Route(tape, xv, context, plan);
            Var loss = tape.Sum(plan.Gates!);
            if (aux is not null) loss = tape.Add(loss, aux);
            if (loss.RequiresGrad) tape.Backward(loss);
            router.AfterOptimizerStep();
            tape.Reset();
        }

        Step(); Step(); // warm-up sizes the plan, arenas and pools
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 3; i++) Step();
        }, repeats: 1));
    }

    [Fact]
    public void Route_ScorerWithWrongWidth_ThrowsShapeMismatch()
    {
        var tape = new Tape(4096);
        var scorer = new FixedScorer(3) { Next = tape.Constant(new Tensor(new Shape(2, 4))) };
        var router = new Router(scorer, new TopKSelector(1));
        Assert.Throws<ShapeMismatchException>(() =>
            router.Route(tape, tape.Constant(new Tensor(new Shape(2, 1))), new RoutingContext(new Rng(1)), new RoutingPlan()));
    }

    [Fact]
    public void Route_LinearScorer_GradientReachesGateWeight()
    {
        // Given a top-2 catalog router whose loss is Σ gates + aux
        Router router = RouterCatalog.Create("top-k", new RouterSetup(4, 3, new Rng(5)));
        var scorer = (Switchyard.Routing.Scorers.LinearScorer)router.Scorer;
        var x = new Tensor(new Shape(5, 4));
        new Rng(6).FillNormal(x.Span, 10f);
        var tape = new Tape(4096);
        var plan = new RoutingPlan();
        Var? aux = router.Route(tape, tape.Constant(x), new RoutingContext(new Rng(7)), plan);
        tape.Backward(tape.Add(tape.Sum(tape.Mul(plan.Gates!, plan.Gates!)), aux!));
        Assert.Contains(scorer.Weight.Grad.Span.ToArray(), g => g != 0f);
        Assert.All(Rand.ToDouble(scorer.Weight.Grad.Span), g => Assert.True(double.IsFinite(g)));
    }

    sealed class ForceExpert(int item, int expert) : IRoutingOverride
    {
        public void Apply(RoutingContext context, RoutingPlan plan) => plan.Replace(item, [expert]);
    }

    [Fact]
    public void Route_WithOverride_ForcesTheItemsExperts()
    {
        var h = new Tensor(new Shape(3, 4));
        h[0] = 5f; // item 0 would pick expert 0
        var tape = new Tape(4096);
        var context = new RoutingContext(new Rng(1)) { Override = new ForceExpert(0, 3) };
        var (_, plan, _) = RouteHelper.Route(tape, tape.Constant(h), new TopKSelector(2) { Normalize = true }, GateActivation.Softmax, context);
        Assert.Equal(1, plan.ExpertsOf(0));
        int slot = plan.ItemSlot[plan.ItemOffsets[0]];
        Assert.Equal(3, plan.Expert[slot]);
        Assert.Equal(1f, plan.Weight[slot], 1e-6f); // normalised over its only selected expert
    }
}
