using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Balancers;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;

namespace Switchyard.Tests.Routing.Balancers;

public class RouterZLossTests
{
    const int N = 6, E = 4;

    static double Reference(double[] h, double beta)
    {
        double s = 0;
        for (int t = 0; t < N; t++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int e = 0; e < E; e++) max = Math.Max(max, h[t * E + e]);
            for (int e = 0; e < E; e++) sum += Math.Exp(h[t * E + e] - max);
            double lse = max + Math.Log(sum);
            s += lse * lse;
        }
        return beta * s / N;
    }

    [Fact]
    public void Loss_ValueAndGradient_MatchFloat64()
    {
        Tensor h = TapeGradCheck.Random(new Shape(N, E), 31, -3f, 3f);
        TapeGradCheck.Check([h],
            (tape, v) => RouteHelper.Route(tape, v[0], new TopKSelector(1), GateActivation.Softmax, null, new RouterZLoss(0.001f)).Aux!,
            x => [Reference(x[0], 0.001)]);
    }

    [Fact]
    public void Loss_LargeLogits_StaysFinite()
    {
        var h = new Tensor(new Shape(2, 3));
        h.Span.Fill(80f);
        var tape = new Tape(4096);
        var (aux, _, router) = RouteHelper.Route(tape, tape.Constant(h), new TopKSelector(1), GateActivation.Softmax, null, new RouterZLoss(0.001f));
        double lse = 80 + Math.Log(3);
        Assert.Equal(lse * lse, router.Statistics.AuxLoss("z_loss"), 1e-2);
        Assert.True(float.IsFinite(aux!.Value.Span[0]));
    }
}
