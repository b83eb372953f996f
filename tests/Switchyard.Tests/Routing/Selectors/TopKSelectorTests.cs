using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Tests.Routing.Selectors;

public class TopKSelectorTests
{
    static RoutingPlan Select(TopKSelector selector, float[] probs, int items, int experts)
    {
        var plan = new RoutingPlan();
        plan.Begin(items, experts);
        selector.Select(new Tensor(probs, new Shape(items, experts)), new RoutingContext(new Rng(1)), plan);
        plan.Finish();
        return plan;
    }

    [Fact]
    public void Select_TiedScores_PicksLowerExpertIds()
    {
        RoutingPlan plan = Select(new TopKSelector(2), [0.1f, 0.3f, 0.3f, 0.3f], 1, 4);
        Assert.Equal([1, 2], plan.SelectedExpert.ToArray());
    }

    [Fact]
    public void Select_Capacity_IsCeilFactorTimesKTimesNOverE()
    {
        var s = new TopKSelector(2) { CapacityFactor = 1.25f };
        Assert.Equal(5, s.CapacityFor(items: 15, experts: 8)); // ceil(1.25·2·15/8) = ceil(4.6875)
        Assert.Equal(0, new TopKSelector(2).CapacityFor(15, 8));
    }

    [Fact]
    public void Select_GroupLimited_ChoosesOnlyInsideTheBestGroups()
    {
        // Given 2 groups of 3: group 0's top-2 sum 0.9+0.05, group 1's 0.5+0.5; one group kept
        var s = new TopKSelector(2) { Groups = 2, TopGroups = 1 };
        RoutingPlan plan = Select(s, [0.9f, 0.05f, 0.0f, 0.5f, 0.5f, 0.2f], 1, 6);
        // Then the best single expert (0) is excluded: both picks come from group 1
        Assert.Equal([3, 4], plan.SelectedExpert.ToArray());
    }

    [Fact]
    public void Select_KAboveExperts_Throws()
    {
        Assert.Throws<ArgumentException>(() => Select(new TopKSelector(3), [0.5f, 0.5f], 1, 2));
    }

    [Fact]
    public void Select_ScaledNormalizedWeights_SumToScale()
    {
        var tape = new Tape(4096);
        var h = new Tensor([0.5f, -1f, 2f, 0f], new Shape(1, 4));
        var (_, plan, _) = RouteHelper.Route(tape, tape.Constant(h), new TopKSelector(2) { Normalize = true, Scale = 2.5f }, GateActivation.Sigmoid);
        Assert.Equal(2.5f, plan.Weight[0] + plan.Weight[1], 1e-5f);
    }
}
