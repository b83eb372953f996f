using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Balancers;
using Switchyard.Routing.Pools;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Routing.Balancers;

public sealed class GroupedSwitchAuxTests
{
    const int N = 8, K = 2;
    // 2 text + 1 task + 2 shared experts; 5 text tokens and 3 task tokens (unequal counts, the case per-pool balance is for).
    static readonly ModalityPools Pools = new(["text", "task"], [2, 1], 2, source: SideIdSource.Target);
    static readonly int[] Modality = [0, 0, 1, 0, 1, 0, 0, 1];
    const int E = 5;

    // α·Σ_g |C_g|·Σ_{e∈C_g} f_{g,e}·P_{g,e}, f and P over the pool's tokens, top-k within the candidates, in double.
    static double Reference(double[] h, double alpha, LoadBalanceConvention convention)
    {
        double[] p = RouteHelper.Softmax(h, N, E);
        double total = 0;
        for (int g = 0; g < 2; g++)
        {
            var tokens = Enumerable.Range(0, N).Where(t => Modality[t] == g).ToArray();
            var f = new double[E];
            var pm = new double[E];
            foreach (int t in tokens)
            {
                double[] masked = [.. Enumerable.Range(0, E).Select(e => Pools.Allows(g, e) ? p[t * E + e] : double.NegativeInfinity)];
                foreach (int e in RouteHelper.TopK(masked, K)) f[e] += convention == LoadBalanceConvention.Switch ? 1.0 / (K * tokens.Length) : 1.0 / tokens.Length;
                for (int e = 0; e < E; e++) pm[e] += p[t * E + e] / tokens.Length;
            }
            double s = 0;
            for (int e = 0; e < E; e++) if (Pools.Allows(g, e)) s += f[e] * pm[e];
            total += Pools.AllowedCount(g) * s;
        }
        return alpha * total;
    }

    static RoutingContext Context() => new(new Rng(1)) { ModalityIds = Modality };

    [Theory]
    [InlineData(LoadBalanceConvention.Switch)]
    [InlineData(LoadBalanceConvention.Mixtral)]
    public void Loss_ValueAndGradient_MatchFloat64(LoadBalanceConvention convention)
    {
        Tensor h = TapeGradCheck.Random(new Shape(N, E), 31, -2f, 2f);
        TapeGradCheck.Check([h],
            (tape, v) => RouteHelper.Route(tape, v[0], new MaskedTopKSelector(K, Pools), GateActivation.Softmax, Context(), new GroupedSwitchAux(0.01f, Pools, convention)).Aux!,
            x => [Reference(x[0], 0.01, convention)]);
    }

    [Fact]
    public void Loss_UniformWithinEveryPool_IsAlphaPerPool()
    {
        // Given uniform probabilities over each pool's candidates and a balanced selection (one token per pair), switch convention
        var pools = new ModalityPools(["text", "task"], [1, 1], 1, source: SideIdSource.Target);
        var tape = new Tape(4096);
        var logits = new Tensor(new Shape(6, 3)); // zeros: uniform before the mask
        var context = new RoutingContext(new Rng(1)) { ModalityIds = new[] { 0, 0, 0, 1, 1, 1 } };
        var scorer = new FixedScorer(3) { Next = Mask(tape, logits, pools, context) };
        var router = new Router(scorer, new MaskedTopKSelector(2, pools), new GroupedSwitchAux(1f, pools));
        router.Route(tape, tape.Constant(new Tensor(new Shape(6, 1))), context, new RoutingPlan());
        // Each pool: 2 candidates, f = ½ each, P = ½ each: 2·(¼ + ¼) = 1 per pool
        Assert.Equal(2.0, router.Statistics.AuxLoss("pool_balance"), 1e-5);
    }

    [Fact]
    public void Loss_ExcludedPool_AddsNothing()
    {
        var pools = new RoleSplitPools(3, 1, hardRole: 1, source: SideIdSource.Target);
        var tape = new Tape(4096);
        var context = new RoutingContext(new Rng(1)) { TokenRoles = new[] { 1, 1, 1 } };
        var (aux, _, router) = RouteHelper.Route(tape, tape.Constant(TapeGradCheck.Random(new Shape(3, 3), 4)), new MaskedTopKSelector(2, pools), GateActivation.Softmax,
            context, new GroupedSwitchAux(1f, pools) { Excluded = [RoleSplitPools.HardRouted] });
        Assert.Equal(0f, aux!.Value.Span[0]);
        Assert.Equal(0f, router.Statistics.AuxLoss("pool_balance"));
    }

    static Var Mask(Tape tape, Tensor logits, IExpertPools pools, RoutingContext context)
    {
        var m = new Tensor(logits.Shape);
        for (int i = 0; i < logits.Shape.Rows; i++)
            for (int e = 0; e < logits.Shape[1]; e++)
                m.Span[i * logits.Shape[1] + e] = pools.Allows(pools.PoolOf(context, i), e) ? logits.Span[i * logits.Shape[1] + e] : -1e9f;
        return tape.Constant(m);
    }
}
