using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Routing;

public sealed class RouterLogitOffsetTests
{
    [Fact]
    public void Route_ZeroOffset_LeavesPlanAndGatesUnchanged()
    {
        // Given the same logits routed without and with a freshly attached (zero) offset
        Tensor h = TapeGradCheck.Random(new Shape(7, 5), 3, -2f, 2f);
        var tape = new Tape(4096);
        var (_, before, _) = RouteHelper.Route(tape, tape.Constant(h), new TopKSelector(2) { Normalize = true }, GateActivation.Softmax);
        int[] items = before.Item.ToArray(), experts = before.Expert.ToArray();
        float[] weights = before.Weight.ToArray();

        var scorer = new FixedScorer(5) { Next = tape.Constant(h) };
        var router = new Router(scorer, new TopKSelector(2) { Normalize = true }) { LogitOffset = new RouterLogitOffset(5) };
        var plan = new RoutingPlan();
        router.Route(tape, tape.Constant(new Tensor(new Shape(7, 1))), new RoutingContext(new Rng(1)), plan);

        // Then nothing changes, bit for bit
        Assert.Equal(items, plan.Item.ToArray());
        Assert.Equal(experts, plan.Expert.ToArray());
        Assert.Equal(weights, plan.Weight.ToArray());
    }

    [Fact]
    public void Route_Offset_ShiftsOnlyTheLogitsBeforeTheActivation()
    {
        // Given an offset that favours expert 3
        Tensor h = TapeGradCheck.Random(new Shape(6, 4), 5, -1f, 1f);
        var offset = new RouterLogitOffset(4);
        offset.Delta.Value[3] = 10f;
        var tape = new Tape(4096);
        var router = new Router(new FixedScorer(4) { Next = tape.Constant(h) }, new TopKSelector(1)) { LogitOffset = offset };
        var plan = new RoutingPlan();
        router.Route(tape, tape.Constant(new Tensor(new Shape(6, 1))), new RoutingContext(new Rng(1)), plan);

        // Then the probabilities are softmax(h + δ) and every token picks expert 3
        double[] expected = RouteHelper.Softmax([.. Rand.ToDouble(h.Span).Select((v, i) => i % 4 == 3 ? v + 10 : v)], 6, 4);
        GradCheck.AssertClose(expected, Rand.ToDouble(router.Probabilities!.Value.Span), 1e-6, "probabilities");
        Assert.All(plan.Expert.ToArray(), e => Assert.Equal(3, e));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Gates_GradientWithRespectToDelta_MatchesFloat64(int stalePositions)
    {
        // Given 6 tokens of one sequence, top-2 renormalised gates, δ random and (optionally) stale rows for the first positions
        const int n = 6, e = 4;
        Tensor h = TapeGradCheck.Random(new Shape(n, e), 11, -1f, 1f);
        float[] delta = Rand.Floats(new Rng(12), e), stale = Rand.Floats(new Rng(13), stalePositions * e);
        float[] w = Rand.Floats(new Rng(14), n * 2);
        var offset = new RouterLogitOffset(e) { StaleOffsets = stale };
        delta.CopyTo(offset.Delta.Value.Span);
        var context = new RoutingContext(new Rng(1)) { Positions = Enumerable.Range(0, n).ToArray() };
        var tape = new Tape(4096);
        var router = new Router(new FixedScorer(e) { Next = tape.Constant(h) }, new TopKSelector(2) { Normalize = true }) { LogitOffset = offset };
        var plan = new RoutingPlan();

        // When Σ w·gates is back-propagated to δ
        router.Route(tape, tape.Constant(new Tensor(new Shape(n, 1))), context, plan);
        int count = plan.Count;
        int[] item = plan.Item.ToArray(), expert = plan.Expert.ToArray();
        int[] selOff = plan.SelectedOffsets.ToArray(), sel = plan.SelectedExpert.ToArray();
        tape.Backward(tape.Sum(tape.Mul(plan.Gates!, tape.Constant(new Tensor(w.AsSpan(0, count).ToArray(), new Shape(count))))));

        // Then the gradient matches central differences of the gate rule in double, over the plan's (fixed) selection
        double[] hd = Rand.ToDouble(h.Span);
        double F(double[] d)
        {
            var z = new double[n * e];
            for (int i = 0; i < n; i++)
                for (int c = 0; c < e; c++) z[i * e + c] = hd[i * e + c] + (i < stalePositions ? stale[i * e + c] : d[c]);
            double[] p = RouteHelper.Softmax(z, n, e);
            double s = 0;
            for (int j = 0; j < count; j++)
            {
                int i = item[j];
                double den = 1e-20;
                for (int m = selOff[i]; m < selOff[i + 1]; m++) den += p[i * e + sel[m]];
                s += w[j] * p[i * e + expert[j]] / den;
            }
            return s;
        }
        double[] numeric = GradCheck.Numeric(F, Rand.ToDouble(delta));
        GradCheck.AssertClose(numeric, Rand.ToDouble(offset.Delta.Grad.Span), 1e-3, "dδ");
        if (stalePositions == n) Assert.All(offset.Delta.Grad.Span.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void Route_StaleRows_UseTheirOwnOffsetNotDelta()
    {
        var offset = new RouterLogitOffset(2) { StaleOffsets = new float[] { 0f, 5f } }; // position 0 → expert 1
        offset.Delta.Value[0] = 5f; // later positions → expert 0
        var tape = new Tape(4096);
        var router = new Router(new FixedScorer(2) { Next = tape.Constant(new Tensor(new Shape(3, 2))) }, new TopKSelector(1)) { LogitOffset = offset };
        var plan = new RoutingPlan();
        router.Route(tape, tape.Constant(new Tensor(new Shape(3, 1))), new RoutingContext(new Rng(1)) { Positions = new[] { 0, 1, 2 } }, plan);
        Assert.Equal([1, 0, 0], Enumerable.Range(0, 3).Select(i => plan.Expert[plan.ItemSlot[plan.ItemOffsets[i]]]).ToArray());
    }

    [Fact]
    public void Options_BadShapes_Throw()
    {
        var router = new Router(new FixedScorer(4), new TopKSelector(1));
        var e = Assert.Throws<ArgumentException>(() => router.LogitOffset = new RouterLogitOffset(3));
        Assert.Contains("3 columns, the scorer 4", e.Message);
        Assert.Throws<ArgumentException>(() => new RouterLogitOffset(4) { StaleOffsets = new float[6] });
        Assert.Throws<ArgumentOutOfRangeException>(() => new RouterLogitOffset(0));
    }
}
