using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Balancers;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;

namespace Switchyard.Tests.Routing.Balancers;

public class BudgetPenaltyTests
{
    const int N = 6, S = 3;
    static readonly float[] Costs = [1f, 0.125f, 0f];

    // L = λ·((1/N)·Σ_t Σ_s p_ts·c_s − budget) in double.
    static double Reference(double[] h, double lambda, double budget)
    {
        double[] p = RouteHelper.Softmax(h, N, S);
        double e = 0;
        for (int i = 0; i < p.Length; i++) e += p[i] * Costs[i % S];
        return lambda * (e / N - budget);
    }

    [Fact]
    public void Loss_ValueAndGradient_MatchFloat64()
    {
        Tensor h = TapeGradCheck.Random(new Shape(N, S), 23, -3f, 3f);
        TapeGradCheck.Check([h],
            (tape, v) => RouteHelper.RouteWithNulls(tape, v[0], new StraightThroughSelector(new TopKSelector(1)), 1, null,
                new BudgetPenalty(Costs, budget: 0.4f, lambda: 0.7f)).Aux!,
            x => [Reference(x[0], 0.7, 0.4)]);
    }

    [Fact]
    public void Loss_RecordsRealizedCost_AndDualAscentMovesLambdaTowardTheBudget()
    {
        // Given logits that send every token big (cost 1) against a budget of 0.25
        var tape = new Tape(4096);
        var h = new Tensor(new Shape(4, S));
        for (int t = 0; t < 4; t++) h.Span[t * S] = 5f;
        var penalty = new BudgetPenalty(Costs, budget: 0.25f, lambda: 0f, lambdaRate: 2f);
        var context = new RoutingContext(new Rng(1)) { Training = true };
        var (_, _, router) = RouteHelper.RouteWithNulls(tape, tape.Variable(h), new StraightThroughSelector(new TopKSelector(1)), 1, context, penalty);
        Assert.Equal(1f, router.Statistics.AuxLoss("realized_cost"), 1e-6f);

        // When the optimizer steps, λ rises by rate·(1 − 0.25); an under-spending router pushes it back down (below 0)
        penalty.AfterOptimizerStep();
        Assert.Equal(1.5f, penalty.Lambda, 1e-6f);
        for (int t = 0; t < 4; t++) { h.Span[t * S] = 0f; h.Span[t * S + 2] = 5f; } // all skip: cost 0
        tape.Reset();
        RouteHelper.RouteWithNulls(tape, tape.Variable(h), new StraightThroughSelector(new TopKSelector(1)), 1, context, penalty);
        penalty.AfterOptimizerStep();
        penalty.AfterOptimizerStep(); // no call since: unchanged
        Assert.Equal(1.0f, penalty.Lambda, 1e-6f);
    }

    [Fact]
    public void Constructor_BadArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => new BudgetPenalty([], 0.5f, 1f));
        Assert.Throws<ArgumentException>(() => new BudgetPenalty([1f, -1f], 0.5f, 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BudgetPenalty([1f], float.NaN, 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BudgetPenalty([1f], 0.5f, 1f, lambdaRate: -1f));
    }
}
