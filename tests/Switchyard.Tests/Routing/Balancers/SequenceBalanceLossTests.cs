using Switchyard.Routing;
using Switchyard.Routing.Balancers;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;

namespace Switchyard.Tests.Routing.Balancers;

public class SequenceBalanceLossTests
{
    const int Seqs = 2, T = 5, E = 6, K = 2;

    // L = α·mean_seq Σ_i f_i·P_i with s′ = s/Σ s, f_i = E/(k·T)·count, P_i = mean s′.
    static double Reference(double[] h, double alpha)
    {
        double[] s = RouteHelper.Sigmoid(h);
        double total = 0;
        for (int q = 0; q < Seqs; q++)
        {
            var f = new double[E];
            var pm = new double[E];
            for (int t = q * T; t < (q + 1) * T; t++)
            {
                foreach (int e in RouteHelper.TopK(s.AsSpan(t * E, E), K)) f[e] += (double)E / (K * T);
                double sum = 0;
                for (int e = 0; e < E; e++) sum += s[t * E + e];
                for (int e = 0; e < E; e++) pm[e] += s[t * E + e] / sum / T;
            }
            for (int e = 0; e < E; e++) total += f[e] * pm[e];
        }
        return alpha * total / Seqs;
    }

    [Fact]
    public void Loss_ValueAndGradient_MatchFloat64()
    {
        Tensor h = TapeGradCheck.Random(new Shape(Seqs * T, E), 41, -2f, 2f);
        var context = new RoutingContext(new Rng(1)) { SequenceLength = T };
        TapeGradCheck.Check([h],
            (tape, v) => RouteHelper.Route(tape, v[0], new TopKSelector(K) { Normalize = true }, GateActivation.Sigmoid, context, new SequenceBalanceLoss(1e-4f)).Aux!,
            x => [Reference(x[0], 1e-4)]);
    }

    [Fact]
    public void Loss_PerfectBalance_EqualsAlpha()
    {
        // Given equal affinities everywhere except a nudge that makes each expert chosen equally often
        const int experts = 4, tokens = 8;
        var h = new Tensor(new Shape(tokens, experts));
        for (int t = 0; t < tokens; t++) h[t * experts + t % experts] = 1e-6f;
        var tape = new Switchyard.Autograd.Tape(4096);
        var (aux, _, _) = RouteHelper.Route(tape, tape.Constant(h), new TopKSelector(1), GateActivation.Sigmoid,
            new RoutingContext(new Rng(1)) { SequenceLength = 4 }, new SequenceBalanceLoss(1e-4f));
        Assert.Equal(1e-4, aux!.Value.Span[0], 1e-9);
    }
}
