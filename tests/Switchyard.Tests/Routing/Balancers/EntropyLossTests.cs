using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Balancers;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;

namespace Switchyard.Tests.Routing.Balancers;

public class EntropyLossTests
{
    const int N = 6, E = 5;

    // L = β·(1/N)·Σ_t −Σ_e p log p in double.
    static double Reference(double[] h, double beta)
    {
        double[] p = RouteHelper.Softmax(h, N, E);
        double s = 0;
        foreach (double q in p) s -= q * Math.Log(q);
        return beta * s / N;
    }

    [Fact]
    public void Loss_ValueAndGradient_MatchFloat64()
    {
        Tensor h = TapeGradCheck.Random(new Shape(N, E), 41, -3f, 3f);
        TapeGradCheck.Check([h],
            (tape, v) => RouteHelper.Route(tape, v[0], new TopPSelector(0.4f), GateActivation.Softmax, null, new EntropyLoss(1e-2f)).Aux!,
            x => [Reference(x[0], 1e-2)]);
    }

    [Fact]
    public void Loss_UniformRouter_IsLogE_AndItsGradientSharpensTheRouter()
    {
        // Given one uniform row (entropy log E, the maximum) and one with a slight lead for expert 0
        var tape = new Tape(4096);
        var h = new Tensor(new Shape(2, E));
        h.Span[0] = 0.1f;
        Var logits = tape.Variable(h);
        var (aux, _, router) = RouteHelper.Route(tape, logits, new TopPSelector(0.4f), GateActivation.Softmax, null, new EntropyLoss(1f));
        double[] q = RouteHelper.Softmax([0.1, 0, 0, 0, 0], 1, E);
        double h0 = -q.Sum(v => v * Math.Log(v));
        Assert.Equal((h0 + Math.Log(E)) / 2, router.Statistics.AuxLoss("entropy"), 1e-5);

        // When minimised, the leading logit rises (descending the gradient raises confidence)
        tape.Backward(aux!);
        Assert.True(logits.Grad.Span[0] < 0);
    }
}
