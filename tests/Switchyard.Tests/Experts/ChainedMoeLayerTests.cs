using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Tensors;
using Switchyard.Tests.Routing;

namespace Switchyard.Tests.Experts;

public sealed class ChainedMoeLayerTests
{
    const int D = 6, E = 4, F = 8, N = 11;

    static Tensor Input()
    {
        var x = new Tensor(new Shape(N, D));
        new Rng(7).FillNormal(x.Span);
        return x;
    }

    static Router Gate(ulong seed) => RouterCatalog.Create("top-k", new RouterSetup(D, E, new Rng(seed)), new TopKRouterOptions { K = 2 });

    [Fact]
    public void Forward_OneIteration_BitIdenticalToThePlainMoeLayer()
    {
        // Given one router and one expert pool, as a plain MoE layer and as a chain of one
        Router router = Gate(1);
        var experts = new SwiGluExperts(D, E, F, new Rng(2), initStd: 0.3f);
        var plain = new MoeLayer(router, experts);
        var chain = new ChainedMoeLayer([router], experts);
        var tape = new Tape(4096);

        // When both run on the same rows
        float[] a = plain.Forward(tape, tape.Constant(Input()), new RoutingContext(new Rng(3))).Value.ToArray();
        float[] b = chain.Forward(tape, tape.Constant(Input()), new RoutingContext(new Rng(3))).Value.ToArray();

        // Then the outputs are the same bits, and the chain's parameters carry the HF names
        Assert.Equal(a, b);
        Assert.Contains(chain.NamedParameters(), p => p.Name == "gate.weight");
    }

    [Fact]
    public void Forward_TwoIterations_SecondRoutesTheUpdatedStateAndEachGateGetsGradient()
    {
        // Given CoE-2 with independent gates over one pool
        Router first = Gate(1), second = Gate(5);
        var experts = new SwiGluExperts(D, E, F, new Rng(2), initStd: 0.3f);
        var chain = new ChainedMoeLayer([first, second], experts);
        var one = new ChainedMoeLayer([first], experts);
        var tape = new Tape(4096);
        var aux = new AuxLossAccumulator();

        // When it runs and back-propagates Σ y
        Var y = chain.Forward(tape, tape.Constant(Input()), new RoutingContext(new Rng(3)), aux);
        float[] single = one.Forward(tape, tape.Constant(Input()), new RoutingContext(new Rng(3))).Value.ToArray();
        tape.Backward(tape.Add(tape.Sum(y), aux.Total!));

        // Then the second iteration changed the output, both iterations' aux losses were summed, and both gates learn
        Assert.NotEqual(single, y.Value.ToArray());
        Assert.Equal(2, aux.Count);
        Assert.Equal(2, chain.Plans.Count);
        Assert.Equal(N * 2, chain.Plans[1].Count);
        foreach (var (name, p) in chain.NamedParameters().Where(p => p.Name.StartsWith("gate", StringComparison.Ordinal)))
            Assert.True(p.Grad.Span.ToArray().Any(g => g != 0f), $"{name} got no gradient");
    }
}
