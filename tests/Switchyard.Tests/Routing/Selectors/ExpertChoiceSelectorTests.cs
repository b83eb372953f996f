using CsCheck;
using Switchyard.Routing;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Tests.Routing.Selectors;

public class ExpertChoiceSelectorTests
{
    [Fact]
    public void Select_RandomScores_EachExpertTakesExactlyC()
    {
        Gen.Select(Gen.Int[1, 40], Gen.Int[1, 10], Gen.Float[0.25f, 4f], Gen.ULong).Sample((items, experts, c, seed) =>
        {
            var probs = new float[items * experts];
            new Rng(seed).FillUniform(probs, 0f, 1f);
            var selector = new ExpertChoiceSelector(c);
            var plan = new RoutingPlan();
            plan.Begin(items, experts);
            selector.Select(new Tensor(probs, new Shape(items, experts)), new RoutingContext(new Rng(1)), plan);
            plan.Finish();
            int capacity = Math.Min(items, (int)Math.Ceiling((double)items * c / experts));
            for (int e = 0; e < experts; e++) Assert.Equal(capacity, plan.Offsets[e + 1] - plan.Offsets[e]);
        }, iter: 200, threads: 1);
    }

    [Fact]
    public void Select_TiedScores_TakesLowerItems()
    {
        var plan = new RoutingPlan();
        plan.Begin(4, 2);
        new ExpertChoiceSelector(1f).Select(new Tensor(new float[8], new Shape(4, 2)), new RoutingContext(new Rng(1)), plan);
        plan.Finish();
        Assert.Equal([0, 1, 0, 1], plan.Item.ToArray());
        Assert.False(new ExpertChoiceSelector().IsCausal);
    }
}
