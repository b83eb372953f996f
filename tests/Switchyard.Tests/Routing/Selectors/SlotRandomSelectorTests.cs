using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Tests.Routing.Selectors;

public class SlotRandomSelectorTests
{
    static (RoutingPlan Plan, Router Router) Route(float[] weights, int items, int nullExperts, ulong seed)
    {
        var tape = new Tape(4096);
        Var logits = tape.Constant(new Tensor(new Shape(items, weights.Length)));
        var (_, plan, router) = RouteHelper.RouteWithNulls(tape, logits, new SlotRandomSelector(weights), nullExperts, new RoutingContext(new Rng(seed)));
        return (plan, router);
    }

    [Fact]
    public void Select_FixedBigFraction_DrawsSlotsInProportion()
    {
        // Given big 0.6, small 0.2, skip (a null expert) 0.2 over 20 000 tokens
        var (plan, _) = Route([0.6f, 0.2f, 0.2f], 20_000, nullExperts: 1, seed: 3);

        // Then each token has exactly one slot, drawn in proportion, skip never dispatched
        Assert.Equal(20_000, plan.SelectedCount + plan.NullSelectedCount);
        Assert.Equal(0.6, (plan.Offsets[1] - plan.Offsets[0]) / 20_000.0, 0.02);
        Assert.Equal(0.2, (plan.Offsets[2] - plan.Offsets[1]) / 20_000.0, 0.02);
        Assert.Equal(0.2, plan.NullSelectedCount / 20_000.0, 0.02);
        Assert.All(plan.Weight.ToArray(), w => Assert.Equal(1f, w));
    }

    [Fact]
    public void Select_ZeroWeightSlot_IsNeverChosen_AndSameSeedSamePlan()
    {
        var (a, _) = Route([1f, 0f, 1f, 0f], 500, nullExperts: 1, seed: 7);
        var (b, _) = Route([1f, 0f, 1f, 0f], 500, nullExperts: 1, seed: 7);
        Assert.Equal(0, a.Offsets[2] - a.Offsets[1]);
        Assert.Equal(0, a.NullSelectedCount);
        Assert.Equal(a.Item.ToArray(), b.Item.ToArray());
        Assert.Equal(a.Expert.ToArray(), b.Expert.ToArray());
    }

    [Fact]
    public void Constructor_BadWeights_Throw()
    {
        Assert.Throws<ArgumentException>(() => new SlotRandomSelector([]));
        Assert.Throws<ArgumentException>(() => new SlotRandomSelector([0f, 0f]));
        Assert.Throws<ArgumentException>(() => new SlotRandomSelector([1f, -1f]));
        Assert.Throws<ArgumentException>(() => new SlotRandomSelector([1f, float.NaN]));
    }
}
