using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Balancers;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Tests.Routing.Balancers;

public class BiasUpdateBalancerTests
{
    [Fact]
    public void AfterOptimizerStep_OverloadedExpert_BiasDecreasesUnderloadedIncreases()
    {
        // Given 3 experts where every token prefers expert 0, then expert 1; expert 2 is never chosen
        var h = new Tensor(new Shape(6, 3));
        for (int t = 0; t < 6; t++) { h[t * 3] = 2f; h[t * 3 + 1] = 1f; }
        var bias = new ExpertBias(3);
        var balancer = new BiasUpdateBalancer(bias, 0.001f);
        var tape = new Tape(4096);
        var (_, _, router) = RouteHelper.Route(tape, tape.Constant(h), new TopKSelector(1) { Bias = bias }, GateActivation.Sigmoid,
            new RoutingContext(new Rng(1)) { Training = true }, balancer);
        Assert.Equal([6L, 0, 0], balancer.Counts.ToArray());

        // When the optimizer has stepped
        router.AfterOptimizerStep();

        // Then c̄ = 2: expert 0 (6 > 2) goes down, experts 1 and 2 (0 < 2) go up, by γ
        Assert.Equal([-0.001f, 0.001f, 0.001f], bias.Values);
        Assert.Equal([0L, 0, 0], balancer.Counts.ToArray());
    }

    [Fact]
    public void Bias_ChangesSelectionButNotWeights()
    {
        var h = new Tensor(new Shape(1, 3));
        h[0] = 0.3f; h[1] = 0.2f; h[2] = 0.1f;
        var bias = new ExpertBias(3);
        bias.Values[2] = 1f; // makes expert 2 win the selection
        var tape = new Tape(4096);
        var (_, plan, _) = RouteHelper.Route(tape, tape.Constant(h), new TopKSelector(1) { Bias = bias }, GateActivation.Sigmoid);
        Assert.Equal([2], plan.Expert.ToArray());
        Assert.Equal(1 / (1 + MathF.Exp(-0.1f)), plan.Weight[0], 1e-6f);
    }

    [Fact]
    public void Loss_NotTraining_CountsNothing()
    {
        var h = new Tensor(new Shape(2, 2));
        var bias = new ExpertBias(2);
        var balancer = new BiasUpdateBalancer(bias);
        var tape = new Tape(4096);
        var (_, _, router) = RouteHelper.Route(tape, tape.Constant(h), new TopKSelector(1) { Bias = bias }, GateActivation.Sigmoid, null, balancer);
        router.AfterOptimizerStep();
        Assert.Equal([0f, 0f], bias.Values);
    }

    [Fact]
    public void Parameter_SharesStorageAndIsFrozen()
    {
        var bias = new ExpertBias(3);
        bias.Values[1] = 0.5f;
        Assert.Equal(0.5f, bias.Parameter.Value[1]);
        Assert.False(bias.Parameter.Trainable);
        Assert.Equal("e_score_correction_bias", bias.Parameter.Name);
    }
}
