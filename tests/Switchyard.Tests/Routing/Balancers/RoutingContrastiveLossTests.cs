using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Balancers;
using Switchyard.Routing.Pools;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;

namespace Switchyard.Tests.Routing.Balancers;

public sealed class RoutingContrastiveLossTests
{
    const int N = 6, E = 4;
    // Roles: tokens 1 and 4 are prompts, hard-routed to the last expert and left out of the RCL.
    static readonly int[] Roles = [2, 1, 2, 2, 1, 0];
    static readonly RoleSplitPools Pools = new(E, 1, hardRole: 1, source: SideIdSource.Target);

    // β·mean over routed tokens of −log softmax(s)[first choice], s = the (masked) logits, in double.
    static double Reference(double[] s, double beta)
    {
        double sum = 0;
        int n = 0;
        for (int t = 0; t < N; t++)
        {
            if (Roles[t] == 1) continue;
            double[] row = [.. s.AsSpan(t * E, E - 1).ToArray()]; // routed experts only: the dedicated one is masked
            int best = RouteHelper.TopK(row, 1)[0];
            double max = row.Max(), lse = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
            sum += lse - row[best];
            n++;
        }
        return beta * sum / n;
    }

    [Fact]
    public void Loss_ValueAndGradient_MatchFloat64()
    {
        var context = new RoutingContext(new Rng(1)) { TokenRoles = Roles };
        var mask = new Tensor(new Shape(N, E));
        for (int t = 0; t < N; t++)
            for (int e = 0; e < E; e++) mask.Span[t * E + e] = Pools.Allows(Pools.PoolOf(context, t), e) ? 0f : -1e9f;
        TapeGradCheck.Check([TapeGradCheck.Random(new Shape(N, E), 51, -3f, 3f)],
            (tape, v) => RouteHelper.Route(tape, tape.Add(v[0], tape.Constant(mask)), new MaskedTopKSelector(2, Pools), GateActivation.Softmax, context,
                new RoutingContrastiveLoss(0.5f, Pools) { Excluded = [RoleSplitPools.HardRouted] }).Aux!,
            x => [Reference(x[0], 0.5)]);
    }

    [Fact]
    public void Loss_OnlyHardRoutedTokens_IsNone()
    {
        var context = new RoutingContext(new Rng(1)) { TokenRoles = new[] { 1, 1 } };
        var tape = new Tape(4096);
        var (aux, _, _) = RouteHelper.Route(tape, tape.Constant(TapeGradCheck.Random(new Shape(2, E), 2)), new MaskedTopKSelector(2, Pools), GateActivation.Softmax, context,
            new RoutingContrastiveLoss(1f, Pools) { Excluded = [RoleSplitPools.HardRouted] });
        Assert.Null(aux);
    }
}
