using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Balancers;
using Switchyard.Routing.Scorers;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;

namespace Switchyard.Tests.Routing.Balancers;

public class CvSquaredLossTests
{
    const int N = 6, E = 4;

    // α·(CV²(importance) + CV²(counts)): importance from the normalised top-2 probabilities, load = token counts (no noise).
    static double Reference(double[] h, double alpha)
    {
        double[] p = RouteHelper.Softmax(h, N, E);
        var importance = new double[E];
        var load = new double[E];
        for (int t = 0; t < N; t++)
        {
            int[] top = [.. Enumerable.Range(0, E).OrderByDescending(e => p[t * E + e]).ThenBy(e => e).Take(2)];
            double sum = top.Sum(e => p[t * E + e]) + 1e-20;
            foreach (int e in top) { importance[e] += p[t * E + e] / sum; load[e]++; }
        }
        return alpha * (CvSquared.Forward<double>(importance) + CvSquared.Forward<double>(load));
    }

    [Fact]
    public void Loss_WithoutNoise_ValueAndGradient_MatchFloat64()
    {
        Tensor h = TapeGradCheck.Random(new Shape(N, E), 23, -2f, 2f);
        TapeGradCheck.Check([h],
            (tape, v) => RouteHelper.Route(tape, v[0], new TopKSelector(2) { Normalize = true }, GateActivation.Softmax, null, new CvSquaredLoss(0.5f)).Aux!,
            x => [Reference(x[0], 0.5)]);
    }

    [Fact]
    public void Loss_WithNoise_UsesTheSmoothLoad_AndReachesTheNoiseWeight()
    {
        // Given a noisy MLP gate routing in training
        var scorer = new MlpScorer(3, E, new Rng(1));
        var router = new Router(scorer, new TopKSelector(2) { Normalize = true }, new CvSquaredLoss(0.01f, scorer));
        var x = new Tensor(new Shape(N, 3));
        new Rng(2).FillNormal(x.Span);
        var tape = new Tape(4096);
        Var? aux = router.Route(tape, tape.Constant(x), new RoutingContext(new Rng(3)) { Training = true }, new RoutingPlan());

        // Then the loss is α·(CV²(importance) + CV²(smooth load)), and its gradient reaches W_noise (through σ)
        NoisyLogits n = scorer.LastNoise!.Value;
        var load = new float[E];
        NoisyTopKLoad.Forward<float>(n.Clean.Value.Span, n.Std.Value.Span, n.Noise.Span, N, E, 2, load);
        Assert.True(load.Sum() is > 0 and < N * E);
        tape.Backward(aux!);
        Assert.Contains(scorer.NoiseWeight!.Grad.ToArray(), g => g != 0f);
        Assert.True(router.Statistics.AuxLoss("cv_squared") > 0);
    }
}
