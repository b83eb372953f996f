using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Tensors;

namespace Switchyard.Tests.Routing;

/// <summary>Routes given logits (a Var, so gradients reach them) through a selector and balancers.</summary>
internal static class RouteHelper
{
    public static (Var? Aux, RoutingPlan Plan, Router Router) Route(Tape tape, Var logits, ISelector selector, GateActivation activation,
        RoutingContext? context = null, params IBalancer[] balancers)
    {
        var scorer = new FixedScorer(logits.Shape[1], activation) { Next = logits };
        var router = new Router(scorer, selector, balancers);
        var plan = new RoutingPlan();
        Var x = tape.Constant(new Tensor(new Shape(logits.Shape[0], 1)));
        Var? aux = router.Route(tape, x, context ?? new RoutingContext(new Rng(1)), plan);
        return (aux, plan, router);
    }

    /// <summary>As <see cref="Route"/> with the last <paramref name="nullExperts"/> logit columns as null experts.</summary>
    public static (Var? Aux, RoutingPlan Plan, Router Router) RouteWithNulls(Tape tape, Var logits, ISelector selector, int nullExperts,
        RoutingContext? context = null, params IBalancer[] balancers)
    {
        var scorer = new FixedScorer(logits.Shape[1]) { Next = logits };
        var router = new Router(scorer, selector, balancers) { NullExperts = nullExperts };
        var plan = new RoutingPlan();
        Var x = tape.Constant(new Tensor(new Shape(logits.Shape[0], 1)));
        Var? aux = router.Route(tape, x, context ?? new RoutingContext(new Rng(1)), plan);
        return (aux, plan, router);
    }

    public static double[] Softmax(double[] h, int rows, int cols)
    {
        var p = new double[h.Length];
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int c = 0; c < cols; c++) max = Math.Max(max, h[r * cols + c]);
            for (int c = 0; c < cols; c++) sum += p[r * cols + c] = Math.Exp(h[r * cols + c] - max);
            for (int c = 0; c < cols; c++) p[r * cols + c] /= sum;
        }
        return p;
    }

    public static double[] Sigmoid(double[] h)
    {
        var s = new double[h.Length];
        for (int i = 0; i < h.Length; i++) s[i] = 1 / (1 + Math.Exp(-h[i]));
        return s;
    }

    /// <summary>Top-k expert ids of a row, largest first, ties to the lower id.</summary>
    public static int[] TopK(ReadOnlySpan<double> row, int k)
    {
        var order = Enumerable.Range(0, row.Length).ToArray();
        double[] r = row.ToArray();
        Array.Sort(order, (a, b) => r[a] != r[b] ? r[b].CompareTo(r[a]) : a.CompareTo(b));
        return order[..k];
    }
}
