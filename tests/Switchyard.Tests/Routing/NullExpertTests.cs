using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Routing;
using Switchyard.Routing.Balancers;
using Switchyard.Routing.Catalog;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;

namespace Switchyard.Tests.Routing;

/// <summary>Null experts (AdaMoE): selectable, counted, never dispatched; weights renormalised over the true experts.</summary>
public class NullExpertTests
{
    const int N = 7, E = 3, Nulls = 3, K = 3;

    [Fact]
    public void Plan_NullSelections_CountedButNeverInKeptSelectedOrDropped()
    {
        // Given a plan over 3 true + 2 null experts with capacity 1
        var plan = new RoutingPlan();
        plan.Begin(3, 3, nullExperts: 2);
        plan.Add(0, 3, 1f); plan.Add(0, 0, 1f);  // item 0: a null and expert 0
        plan.Add(1, 4, 1f); plan.Add(1, 3, 1f);  // item 1: only nulls
        plan.Add(2, 0, 0.5f); plan.Add(2, 1, 1f);
        plan.SetCapacity(1, DropPolicy.Position);
        plan.Finish();

        // Then only true experts reach the grouped arrays; item 2 loses expert 0 to capacity
        Assert.Equal(5, plan.Slots);
        Assert.Equal([0, 1, 2, 2], plan.Offsets.ToArray());
        Assert.Equal([0, 2], plan.Item.ToArray());
        Assert.Equal([0, 0, 1], plan.SelectedExpert.ToArray()); // items 0, 2: true experts only
        Assert.Equal([2], plan.DroppedItem.ToArray());
        Assert.Equal(3, plan.NullSelectedCount);
        Assert.Equal([2, 1], plan.NullLoad.ToArray());
        Assert.Equal([1, 2, 0], new[] { plan.NullSelectedOf(0), plan.NullSelectedOf(1), plan.NullSelectedOf(2) });
        Assert.Equal(0, plan.ExpertsOf(1)); // pure residual pass-through
        Assert.Throws<ArgumentOutOfRangeException>(() => { plan.Begin(1, 3, 2); plan.Add(0, 5, 1f); });
    }

    [Fact]
    public void Plan_ReplaceItem_RemovesItsNullSelections()
    {
        var plan = new RoutingPlan();
        plan.Begin(2, 2, nullExperts: 1);
        plan.Add(0, 2, 1f); plan.Add(1, 2, 1f);
        plan.Replace(0, [1]);
        plan.Finish();
        Assert.Equal(1, plan.NullSelectedCount);
        Assert.Equal(0, plan.NullSelectedOf(0));
        Assert.Equal(1, plan.ExpertsOf(0));
    }

    [Fact]
    public void Gates_RenormalisedOverTrueExpertsOnly_GradientMatchesFloat64()
    {
        // Given logits over 3 true + 3 null experts, top-3 over all six
        Tensor h = TapeGradCheck.Random(new Shape(N, E + Nulls), 61, -2f, 2f);
        RoutingPlan? plan = null;
        int slots = E + Nulls;
        TapeGradCheck.Check([h], (tape, v) =>
        {
            (_, plan, _) = RouteHelper.RouteWithNulls(tape, v[0], new TopKSelector(K) { Normalize = true }, Nulls);
            return plan.Gates!;
        }, x =>
        {
            // w_e = p_e / Σ_{j ∈ S ∩ True} p_j: the null probabilities cancel out of every weight
            double[] p = RouteHelper.Softmax(x[0], N, slots);
            var y = new double[plan!.Count];
            for (int j = 0; j < plan.Count; j++)
            {
                int i = plan.Item[j];
                double den = 1e-20;
                for (int m = plan.SelectedOffsets[i]; m < plan.SelectedOffsets[i + 1]; m++) den += p[i * slots + plan.SelectedExpert[m]];
                y[j] = p[i * slots + plan.Expert[j]] / den;
            }
            return y;
        });

        // And every item picked exactly K slots, some of them null
        Assert.True(plan!.NullSelectedCount > 0);
        for (int i = 0; i < N; i++)
            Assert.Equal(K, plan.SelectedOffsets[i + 1] - plan.SelectedOffsets[i] + plan.NullSelectedOf(i));
    }

    // L = α·(E+N)·Σ_{all slots} f_e·P_e, f over the K slots of every token (switch: /(K·N); mixtral: /N).
    static double Reference(double[] h, double alpha, LoadBalanceConvention convention)
    {
        int slots = E + Nulls;
        double[] p = RouteHelper.Softmax(h, N, slots);
        var f = new double[slots];
        var pm = new double[slots];
        for (int t = 0; t < N; t++)
        {
            foreach (int e in RouteHelper.TopK(p.AsSpan(t * slots, slots), K)) f[e] += convention == LoadBalanceConvention.Switch ? 1.0 / (K * N) : 1.0 / N;
            for (int e = 0; e < slots; e++) pm[e] += p[t * slots + e] / N;
        }
        double s = 0;
        for (int e = 0; e < slots; e++) s += f[e] * pm[e];
        return alpha * slots * s;
    }

    [Theory]
    [InlineData(LoadBalanceConvention.Switch)]
    [InlineData(LoadBalanceConvention.Mixtral)]
    public void LoadBalance_OverTrueAndNullSlots_ValueAndGradientMatchFloat64(LoadBalanceConvention convention)
    {
        Tensor h = TapeGradCheck.Random(new Shape(N, E + Nulls), 62, -2f, 2f);
        TapeGradCheck.Check([h],
            (tape, v) => RouteHelper.RouteWithNulls(tape, v[0], new TopKSelector(K) { Normalize = true }, Nulls, null, new LoadBalancingLoss(0.1f, convention)).Aux!,
            x => [Reference(x[0], 0.1, convention)]);
    }

    [Fact]
    public void MoeLayer_AdaMoe_NullExpertsCostZeroFlopsAndNeverReachDispatch()
    {
        // Given an AdaMoE layer: 4 true experts + 4 null, k' = 2
        var rng = new Rng(5);
        Router router = RouterCatalog.Create("adamoe", new RouterSetup(8, 4, rng), ["null_experts=4", "k=2"]);
        var experts = new SwiGluExperts(8, 4, 16, rng);
        var layer = new MoeLayer(router, experts);
        var x = new Tensor(new Shape(40, 8));
        rng.FillNormal(x.Span, 30f);
        var tape = new Tape(4096);

        // When it runs forward and backward
        Var y = layer.Forward(tape, tape.Variable(x), new RoutingContext(new Rng(2)) { Training = true });
        tape.Backward(tape.Sum(y));

        // Then some slots went to null experts, none of them to dispatch, and FLOPs count true experts only
        RoutingPlan plan = layer.Plan;
        Assert.Equal(4, plan.Experts);
        Assert.True(plan.NullSelectedCount > 0, "no null expert chosen");
        Assert.Equal(40 * 2, plan.Count + plan.NullSelectedCount);
        Assert.All(plan.Expert.ToArray(), e => Assert.InRange(e, 0, 3));
        Assert.Equal((double)plan.Count * experts.FlopsPerRow(0) / 40, layer.FlopsPerToken, 1e-9);
        Assert.Equal(layer.Statistics.ExpertsPerItemMean, (float)plan.Count / 40, 1e-6f);
        Assert.Equal((float)plan.NullSelectedCount / 80, layer.Statistics.NullFraction, 1e-6f);

        // And a token that chose only null experts gets exactly 0 (the residual passes it through)
        for (int i = 0; i < 40; i++)
            if (plan.ExpertsOf(i) == 0)
                Assert.All(y.Value.Span.Slice(i * 8, 8).ToArray(), v => Assert.Equal(0f, v));
    }
}
