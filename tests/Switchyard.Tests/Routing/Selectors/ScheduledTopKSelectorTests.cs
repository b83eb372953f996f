using Switchyard.Routing;
using Switchyard.Routing.Schedules;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Tests.Routing.Selectors;

public class ScheduledTopKSelectorTests
{
    [Theory]
    [InlineData(0, 4)]
    [InlineData(25, 5)]   // round(4·25/100) + 4 = 5
    [InlineData(50, 6)]
    [InlineData(63, 7)]   // round(2.52) = 3
    [InlineData(62, 6)]   // round(2.48) = 2
    [InlineData(100, 8)]
    [InlineData(500, 8)]  // held at the end
    public void LinearIntSchedule_FollowsTheReferenceLinearIncrease(long step, int expected) =>
        Assert.Equal(expected, new LinearIntSchedule(4, 8).At(step, 100));

    [Fact]
    public void LinearIntSchedule_OwnLength_IgnoresTheRunLength()
    {
        var s = new LinearIntSchedule(2, 4, steps: 10);
        Assert.Equal(3, s.At(5, 1000));
        Assert.Equal(4, s.At(10, 1000));
    }

    [Fact]
    public void Select_KFollowsTheStep_AndEvalKAppliesOutsideTraining()
    {
        // Given a selector whose k grows 1 → 4 over a 30-step run, and eval_k = 2
        var selector = new ScheduledTopKSelector(new LinearIntSchedule(1, 4), normalize: true, evalK: 2);
        var probs = new Tensor(new Shape(3, 4));
        new Rng(3).FillUniform(probs.Span, 0f, 1f);
        var context = new RoutingContext(new Rng(1)) { Training = true, TotalSteps = 30 };
        var plan = new RoutingPlan();

        // Then each training step routes every item to k(step) experts
        foreach (var (step, k) in new (long, int)[] { (0, 1), (10, 2), (20, 3), (30, 4) })
        {
            context.Step = step;
            plan.Begin(3, 4);
            selector.Select(probs, context, plan);
            plan.Finish();
            Assert.Equal(3 * k, plan.Count);
            Assert.Equal(k, selector.K);
        }

        // And evaluation uses eval_k
        context.Training = false;
        plan.Begin(3, 4);
        selector.Select(probs, context, plan);
        plan.Finish();
        Assert.Equal(6, plan.Count);
    }
}
