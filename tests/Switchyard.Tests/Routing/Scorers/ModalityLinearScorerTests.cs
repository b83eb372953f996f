using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Pools;
using Switchyard.Routing.Scorers;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;

namespace Switchyard.Tests.Routing.Scorers;

public sealed class ModalityLinearScorerTests
{
    const int N = 6, D = 3;
    // 1 text + 2 task experts + 1 shared: text tokens may use {0, 3}, task tokens {1, 2, 3}.
    static readonly ModalityPools Pools = new(["text", "task"], [1, 2], 1, source: SideIdSource.Target);
    static readonly int[] Modality = [0, 1, 1, -1, 0, 1]; // -1: unlabelled → text
    const int E = 4;

    // Logits of the modality's gate on candidates, −1e9 elsewhere; then softmax, in double.
    static double[] Reference(double[] x, double[][] w)
    {
        var s = new double[N * E];
        for (int t = 0; t < N; t++)
        {
            int m = Modality[t] < 0 ? 0 : Modality[t];
            for (int e = 0; e < E; e++)
            {
                double dot = 0;
                for (int k = 0; k < D; k++) dot += x[t * D + k] * w[m][e * D + k];
                s[t * E + e] = Pools.Allows(m, e) ? dot : -1e9;
            }
        }
        return RouteHelper.Softmax(s, N, E);
    }

    [Fact]
    public void Scores_ThroughTheSoftmax_ValueAndGradientsMatchFloat64()
    {
        var context = new RoutingContext(new Rng(1)) { ModalityIds = Modality };
        TapeGradCheck.Check([TapeGradCheck.Random(new Shape(N, D), 1, -2, 2), TapeGradCheck.Random(new Shape(E, D), 2, -2, 2), TapeGradCheck.Random(new Shape(E, D), 3, -2, 2)],
            (tape, v) => tape.Softmax(ModalityLinearScorer.Scores(tape, v[0], [v[1], v[2]], Pools, context)),
            x => Reference(x[0], [x[1], x[2]]));
    }

    [Fact]
    public void Score_OnlyTextTokens_TaskGateGetsNoGradient_AndGatesAreNamedByModality()
    {
        var scorer = new ModalityLinearScorer(D, Pools, new Rng(4), initStd: 0.5f);
        var tape = new Tape(4096);
        var context = new RoutingContext(new Rng(1)) { ModalityIds = new[] { 0, 0, 0 } };
        Var y = scorer.Score(tape, tape.Constant(TapeGradCheck.Random(new Shape(3, D), 5)), context);
        tape.Backward(tape.Sum(tape.Softmax(y)));
        Assert.All(scorer.Gate(1).Weight.Grad.ToArray(), g => Assert.Equal(0f, g));
        Assert.Equal(["text.weight", "task.weight"], scorer.NamedParameters().Select(p => p.Name).ToArray());
    }
}
