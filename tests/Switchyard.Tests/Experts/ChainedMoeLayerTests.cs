using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Routing.Scorers;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

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

    static Tensor Normal(ulong seed, int rows, int cols)
    {
        var t = new Tensor(new Shape(rows, cols));
        new Rng(seed).FillNormal(t.Span);
        return t;
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

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void Backward_TwoIterations_MatchesFloat64CentralDifferences(bool innerResidual, bool sharedGate)
    {
        // Given CoE-2 (renormalised top-2 of 4, a gated shared expert re-applied each iteration) and loss = Σ R∘y
        const int n = 5, d = 6;
        var options = new MoeLayerOptions
        {
            ModelDim = d, Experts = 4, ExpertWidth = 4, Router = "top-k", SharedExpertWidth = 5, SharedExpertGate = true, InitStd = 0.5f,
            RouterOptions = new TopKRouterOptions { K = 2, Normalize = true, AuxAlpha = 0f, ZBeta = 0f },
        };
        var chain = ChainedMoeLayer.Create(options, iterations: 2, new Rng(1), innerResidual, sharedGate);
        ulong spread = 100;
        foreach (Router r in chain.Routers.Distinct()) new Rng(spread++).FillNormal(((LinearScorer)r.Scorer).Weight.Value.Span, 0.5f);
        Tensor x = Normal(4, n, d), r2 = Normal(5, n, d);
        var tape = new Tape();
        Var xv = tape.Variable(x);
        Var y = chain.Forward(tape, xv, new RoutingContext(new Rng(9)));
        chain.ZeroGrad();

        // When
        tape.Backward(tape.Sum(tape.Mul(y, tape.Constant(r2))));

        // Then every gradient matches central differences of the double reference with each iteration's choices fixed:
        // iteration t is a plain MoE layer (MoeReference) on the state x⁽ᵗ⁻¹⁾; all iterations read the same weight arrays.
        var refs = chain.Layers.Select(l => MoeReference.From(l, x, normalize: true)).ToArray();
        for (int t = 1; t < refs.Length; t++)
        {
            refs[t].GateUp = refs[0].GateUp; refs[t].Down = refs[0].Down;
            refs[t].SharedGateProj = refs[0].SharedGateProj; refs[t].SharedUp = refs[0].SharedUp;
            refs[t].SharedDown = refs[0].SharedDown; refs[t].SharedGateW = refs[0].SharedGateW;
            if (sharedGate) refs[t].Gate = refs[0].Gate;
        }
        double[] x0 = refs[0].X, weights = Rand.ToDouble(r2.Span);
        double[] Chain()
        {
            double[] state = x0, sum = new double[x0.Length];
            foreach (MoeReference r in refs)
            {
                r.X = state;
                double[] yt = r.Forward();
                for (int i = 0; i < sum.Length; i++) sum[i] += yt[i];
                state = innerResidual ? [.. state.Zip(yt, (a, b) => a + b)] : yt;
            }
            refs[0].X = x0;
            return innerResidual ? sum : state;
        }
        GradCheck.AssertClose(Chain(), Rand.ToDouble(y.Value.Span), 1e-5, "forward");
        double Loss(double[] _) => GradCheck.Dot(weights, Chain());
        var experts = (SwiGluExperts)chain.Experts;
        var shared = chain.Layers[0].SharedExpert!;
        Check(x0, xv.Grad, "dx");
        Check(refs[0].Gate, ((LinearScorer)chain.Routers[0].Scorer).Weight.Grad, "gate (iteration 0)");
        if (!sharedGate) Check(refs[1].Gate, ((LinearScorer)chain.Routers[1].Scorer).Weight.Grad, "gate_1");
        Check(refs[0].GateUp, experts.GateUpGrad, "expert gate/up");
        Check(refs[0].Down, experts.DownGrad, "expert down");
        Check(refs[0].SharedGateProj, ((Switchyard.Nn.Layers.Linear)shared.GateProj).Weight.Grad, "shared gate_proj");
        Check(refs[0].SharedDown, ((Switchyard.Nn.Layers.Linear)shared.DownProj).Weight.Grad, "shared down_proj");
        Check(refs[0].SharedGateW, chain.Layers[0].SharedExpertGate!.Weight.Grad, "shared_expert_gate");

        void Check(double[] values, Tensor grad, string what) =>
            GradCheck.AssertClose(GradCheck.Numeric(Loss, values), Rand.ToDouble(grad.Span), 2e-3, what);
    }

    [Fact]
    public void Create_OneIteration_BitIdenticalToMoeLayerCreate()
    {
        var options = new MoeLayerOptions { ModelDim = D, Experts = E, ExpertWidth = F, InitStd = 0.3f, SharedExpertWidth = 5 };
        var plain = MoeLayer.Create(options, new Rng(1));
        var chain = ChainedMoeLayer.Create(options, iterations: 1, new Rng(1));
        var tape = new Tape(4096);
        float[] a = plain.Forward(tape, tape.Constant(Input()), new RoutingContext(new Rng(3))).Value.ToArray();
        float[] b = chain.Forward(tape, tape.Constant(Input()), new RoutingContext(new Rng(3))).Value.ToArray();
        Assert.Equal(a, b);
        Assert.Equal(plain.NamedParameters().Select(p => p.Name), chain.NamedParameters().Select(p => p.Name));
    }
}
