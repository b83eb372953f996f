using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Balancers;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Routing.Balancers;

public class LoadBalancingLossTests
{
    const int N = 7, E = 5, K = 2;

    // L = α·E·Σ f_i·P_i in double, f from the top-k of the probabilities.
    static double Reference(double[] h, double alpha, LoadBalanceConvention convention)
    {
        double[] p = RouteHelper.Softmax(h, N, E);
        var f = new double[E];
        var pm = new double[E];
        for (int t = 0; t < N; t++)
        {
            foreach (int e in RouteHelper.TopK(p.AsSpan(t * E, E), K)) f[e] += convention == LoadBalanceConvention.Switch ? 1.0 / (K * N) : 1.0 / N;
            for (int e = 0; e < E; e++) pm[e] += p[t * E + e] / N;
        }
        double s = 0;
        for (int e = 0; e < E; e++) s += f[e] * pm[e];
        return alpha * E * s;
    }

    [Theory]
    [InlineData(LoadBalanceConvention.Switch)]
    [InlineData(LoadBalanceConvention.Mixtral)]
    public void Loss_ValueAndGradient_MatchFloat64(LoadBalanceConvention convention)
    {
        Tensor h = TapeGradCheck.Random(new Shape(N, E), 21, -2f, 2f);
        TapeGradCheck.Check([h],
            (tape, v) => RouteHelper.Route(tape, v[0], new TopKSelector(K), GateActivation.Softmax, null, new LoadBalancingLoss(0.01f, convention)).Aux!,
            x => [Reference(x[0], 0.01, convention)]);
    }

    [Fact]
    public void Loss_RecordsRawValueAndCoefficient()
    {
        Tensor h = TapeGradCheck.Random(new Shape(N, E), 22, -2f, 2f);
        var tape = new Tape(4096);
        var (aux, _, router) = RouteHelper.Route(tape, tape.Constant(h), new TopKSelector(K), GateActivation.Softmax, null, new LoadBalancingLoss(0.02f));
        var rec = Assert.Single(router.Statistics.AuxLosses.ToArray());
        Assert.Equal("load_balance", rec.Name);
        Assert.Equal(0.02f, rec.Coefficient);
        Assert.Equal(aux!.Value.Span[0], rec.Value * 0.02f, 1e-7f);
        Assert.Equal(Reference(Rand.ToDouble(h.Span), 1.0, LoadBalanceConvention.Switch), rec.Value, 1e-5);
    }

    [Theory]
    [InlineData(1, LoadBalanceConvention.Switch, 1.0)]
    [InlineData(2, LoadBalanceConvention.Switch, 1.0)]
    [InlineData(2, LoadBalanceConvention.Mixtral, 2.0)]
    public void Loss_PerfectBalance_EqualsAlphaTimesConventionFactor(int k, LoadBalanceConvention convention, double factor)
    {
        // Given 4E tokens, token t prefers experts t mod E and t+1 mod E equally strongly: uniform f and P
        const int experts = 4, tokens = 16;
        var h = new Tensor(new Shape(tokens, experts));
        for (int t = 0; t < tokens; t++) { h[t * experts + t % experts] = 3f; h[t * experts + (t + 1) % experts] = 2f; }
        var tape = new Tape(4096);

        var (aux, _, _) = RouteHelper.Route(tape, tape.Constant(h), new TopKSelector(k), GateActivation.Softmax, null, new LoadBalancingLoss(0.01f, convention));

        Assert.Equal(0.01 * factor, aux!.Value.Span[0], 1e-7);
    }
}
