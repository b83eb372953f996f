using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Tests.Routing.Selectors;

public class TopPSelectorTests
{
    static RoutingPlan Select(float[] probs, int experts, float p, int maxK = 0)
    {
        var plan = new RoutingPlan();
        plan.Begin(probs.Length / experts, experts);
        new TopPSelector(p, maxK).Select(new Tensor(probs, new Shape(probs.Length / experts, experts)), new RoutingContext(new Rng(1)), plan);
        plan.Finish();
        return plan;
    }

    static int[] ExpertsOf(RoutingPlan plan, int item) =>
        [.. plan.SelectedExpert[plan.SelectedOffsets[item]..plan.SelectedOffsets[item + 1]].ToArray()];

    [Theory]
    [InlineData(0.6f, new[] { 0, 1 })]     // 0.5 < 0.6 ≤ 0.5 + 0.3: the expert that crosses p is included
    [InlineData(0.5f, new[] { 0 })]        // exactly p after one expert: mass ≥ p stops
    [InlineData(0.4f, new[] { 0 })]
    [InlineData(0.95f, new[] { 0, 1, 2 })]
    [InlineData(1f, new[] { 0, 1, 2, 3 })] // float cumsum may fall short of 1: every expert is admitted, never more
    public void Select_TakesFewestTopExpertsReachingP(float p, int[] expected)
    {
        RoutingPlan plan = Select([0.5f, 0.3f, 0.15f, 0.05f], 4, p);
        Assert.Equal(expected, ExpertsOf(plan, 0));
    }

    [Fact]
    public void Select_HighEntropyToken_ActivatesMoreExpertsThanConfidentOne()
    {
        // Given a confident token (one expert holds 0.9) and an uncertain one (uniform over 8)
        float[] probs = new float[16];
        probs[3] = 0.9f;
        for (int e = 0; e < 8; e++) { if (e != 3) probs[e] = 0.1f / 7; probs[8 + e] = 0.125f; }

        // When routed with the paper's p = 0.4
        RoutingPlan plan = Select(probs, 8, 0.4f);

        // Then the confident token takes one expert, the uncertain one ceil(0.4·8) = 4 (ties → lower ids)
        Assert.Equal([3], ExpertsOf(plan, 0));
        Assert.Equal([0, 1, 2, 3], ExpertsOf(plan, 1));
        Assert.Equal(1, plan.ExpertsOf(0));
        Assert.Equal(4, plan.ExpertsOf(1));
    }

    [Fact]
    public void Select_MaxK_CapsTheCount()
    {
        float[] probs = [0.25f, 0.25f, 0.25f, 0.25f];
        Assert.Equal([0, 1], ExpertsOf(Select(probs, 4, 0.9f, maxK: 2), 0));
    }

    [Fact]
    public void Route_WeightsAreRawProbabilities_NotRenormalised()
    {
        // Given an uncertain token and a confident one
        Tensor h = new(new float[] { 2f, 1f, 0f, -1f, 6f, 0f, 0f, 0f }, new Shape(2, 4));
        var tape = new Tape(4096);
        var (_, plan, router) = RouteHelper.Route(tape, tape.Constant(h), new TopPSelector(0.8f), GateActivation.Softmax);
        double[] p = RouteHelper.Softmax([2, 1, 0, -1, 6, 0, 0, 0], 2, 4); // row 0: 0.644, 0.237, 0.087, 0.032

        // Then the first takes two experts weighted by their raw probabilities, the second one
        Assert.Equal(2, plan.ExpertsOf(0));
        Assert.Equal(1, plan.ExpertsOf(1));
        for (int m = plan.ItemOffsets[0]; m < plan.ItemOffsets[1]; m++)
        {
            int j = plan.ItemSlot[m];
            Assert.Equal(p[plan.Expert[j]], plan.Weight[j], 1e-6);
        }
        Assert.Equal(1, router.Statistics.ExpertsPerItemMin);
        Assert.Equal(2, router.Statistics.ExpertsPerItemMax);
        Assert.Equal([0, 1, 1, 0, 0], router.Statistics.ExpertsPerItemHistogram.ToArray());
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-0.1f)]
    [InlineData(1.01f)]
    [InlineData(float.NaN)]
    public void Ctor_POutsideZeroOne_Throws(float p) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TopPSelector(p));
}
