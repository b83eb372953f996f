using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Nn.Layers;
using Switchyard.Routing;
using Switchyard.Routing.Balancers;
using Switchyard.Routing.Scorers;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Experts;

public class FilmExpertsTests
{
    const int N = 5, D = 6, E = 4, F = 7, K = 2;

    static (MoeLayer Layer, FilmExperts Experts, LinearScorer Gate) Build(bool randomFilm = true)
    {
        var rng = new Rng(3);
        var gate = new LinearScorer(D, E, rng, initStd: 0.8f);
        var experts = new FilmExperts(D, E, F, rng, initStd: 0.5f);
        if (randomFilm)
        {
            new Rng(4).FillNormal(experts.Gamma.Value.Span, 0.7f);
            new Rng(5).FillNormal(experts.Beta.Value.Span, 0.3f);
        }
        var layer = new MoeLayer(new Router(gate, new TopKSelector(K) { Normalize = true }, new LoadBalancingLoss(0.01f)), experts);
        return (layer, experts, gate);
    }

    static Tensor Input(ulong seed)
    {
        var x = new Tensor(new Shape(N, D));
        new Rng(seed).FillNormal(x.Span);
        return x;
    }

    // y_t = (Σ_{e∈S_t} w_e γ_e) ⊙ h_t + Σ w_e β_e, h = SwiGLU trunk, w = softmax renormalised over the fixed top-k set S_t.
    sealed class Reference(int[][] selected)
    {
        public double[] X = [], Gate = [], TrunkGate = [], TrunkUp = [], TrunkDown = [], Gamma = [], Beta = [];

        public double[] Forward()
        {
            var y = new double[N * D];
            var h = new double[D];
            var hidden = new double[F];
            var p = new double[E];
            for (int t = 0; t < N; t++)
            {
                double max = double.NegativeInfinity;
                for (int e = 0; e < E; e++)
                {
                    double s = 0;
                    for (int c = 0; c < D; c++) s += Gate[e * D + c] * X[t * D + c];
                    p[e] = s;
                    max = Math.Max(max, s);
                }
                double z = 0;
                for (int e = 0; e < E; e++) z += p[e] = Math.Exp(p[e] - max);
                for (int e = 0; e < E; e++) p[e] /= z;
                for (int j = 0; j < F; j++)
                {
                    double g = 0, u = 0;
                    for (int c = 0; c < D; c++) { g += TrunkGate[j * D + c] * X[t * D + c]; u += TrunkUp[j * D + c] * X[t * D + c]; }
                    hidden[j] = g / (1 + Math.Exp(-g)) * u;
                }
                for (int c = 0; c < D; c++)
                {
                    double s = 0;
                    for (int j = 0; j < F; j++) s += TrunkDown[c * F + j] * hidden[j];
                    h[c] = s;
                }
                double mass = 0;
                foreach (int e in selected[t]) mass += p[e];
                foreach (int e in selected[t])
                    for (int c = 0; c < D; c++) y[t * D + c] += p[e] / mass * (Gamma[e * D + c] * h[c] + Beta[e * D + c]);
            }
            return y;
        }
    }

    static Reference ReferenceOf(MoeLayer layer, FilmExperts experts, LinearScorer gate, Tensor x)
    {
        var selected = new int[N][];
        for (int t = 0; t < N; t++) selected[t] = layer.Plan.SelectedExpert[layer.Plan.SelectedOffsets[t]..layer.Plan.SelectedOffsets[t + 1]].ToArray();
        return new Reference(selected)
        {
            X = Rand.ToDouble(x.Span), Gate = Rand.ToDouble(gate.Weight.Value.Span),
            TrunkGate = Rand.ToDouble(((Linear)experts.TrunkMlp.GateProj).Weight.Value.Span),
            TrunkUp = Rand.ToDouble(((Linear)experts.TrunkMlp.UpProj).Weight.Value.Span),
            TrunkDown = Rand.ToDouble(((Linear)experts.TrunkMlp.DownProj).Weight.Value.Span),
            Gamma = Rand.ToDouble(experts.Gamma.Value.Span), Beta = Rand.ToDouble(experts.Beta.Value.Span),
        };
    }

    [Fact]
    public void Forward_TopK_IsWeightedModulationOfOneTrunk()
    {
        var (layer, experts, gate) = Build();
        Tensor x = Input(1);
        var tape = new Tape();
        Var y = layer.Forward(tape, tape.Constant(x), new RoutingContext(new Rng(9)));
        GradCheck.AssertClose(ReferenceOf(layer, experts, gate, x).Forward(), Rand.ToDouble(y.Value.Span), 1e-5, "y");
    }

    [Fact]
    public void Forward_IdentityInitialisation_EqualsTheTrunk()
    {
        // γ = 1, β = 0 and renormalised gates: every expert is the trunk, so the layer is the trunk.
        var (layer, experts, _) = Build(randomFilm: false);
        Tensor x = Input(2);
        var tape = new Tape();
        Var y = layer.Forward(tape, tape.Constant(x), new RoutingContext(new Rng(9)));
        Var h = experts.TrunkMlp.Forward(tape, tape.Constant(x));
        GradCheck.AssertClose(Rand.ToDouble(h.Value.Span), Rand.ToDouble(y.Value.Span), 1e-6, "y");
        Assert.Equal(0.0, experts.GammaVariance());
    }

    [Fact]
    public void Backward_WholeLayer_MatchesFloat64CentralDifferences()
    {
        // Given loss = Σ R∘y through router, trunk and the FiLM combine
        var (layer, experts, gate) = Build();
        Tensor x = Input(3), r = Input(4);
        var tape = new Tape();
        Var xv = tape.Variable(x);
        Var y = layer.Forward(tape, xv, new RoutingContext(new Rng(9)));
        layer.ZeroGrad();

        // When
        tape.Backward(tape.Sum(tape.Mul(y, tape.Constant(r))));

        // Then every gradient matches central differences of the double definition (the plan's choices fixed)
        Reference reference = ReferenceOf(layer, experts, gate, x);
        double[] w = Rand.ToDouble(r.Span);
        double Loss(double[] _) => GradCheck.Dot(w, reference.Forward());
        Check(reference.X, xv.Grad, "dx");
        Check(reference.Gate, gate.Weight.Grad, "router weight");
        Check(reference.Gamma, experts.Gamma.Grad, "gamma");
        Check(reference.Beta, experts.Beta.Grad, "beta");
        Check(reference.TrunkGate, ((Linear)experts.TrunkMlp.GateProj).Weight.Grad, "trunk gate_proj");
        Check(reference.TrunkUp, ((Linear)experts.TrunkMlp.UpProj).Weight.Grad, "trunk up_proj");
        Check(reference.TrunkDown, ((Linear)experts.TrunkMlp.DownProj).Weight.Grad, "trunk down_proj");

        void Check(double[] values, Tensor grad, string what) =>
            GradCheck.AssertClose(GradCheck.Numeric(Loss, values), Rand.ToDouble(grad.Span), 2e-3, what);
    }

    [Fact]
    public void FlopsPerToken_OneTrunkPlusKModulations()
    {
        // k experts cost one FFN (3 matrices d×F) plus k modulations of 2d, not k FFNs.
        var (layer, _, _) = Build();
        var tape = new Tape();
        layer.Forward(tape, tape.Constant(Input(5)), new RoutingContext(new Rng(9)));
        Assert.Equal(2.0 * 3 * D * F + K * 2.0 * D, layer.FlopsPerToken, 9);
        Assert.Equal(3.0 * D * F + K * 2.0 * D, layer.ActiveParametersPerToken, 9);
    }

    [Fact]
    public void Parameters_TrunkAndModulationsNamedAndNotDecayed()
    {
        var (layer, experts, _) = Build();
        string[] names = [.. layer.NamedParameters().Select(p => p.Name)];
        Assert.Contains("experts.trunk.gate_proj.weight", names);
        Assert.Contains("experts.film_gamma", names);
        Assert.Contains("experts.film_beta", names);
        Assert.False(experts.Gamma.WeightDecay);
        Assert.False(experts.Beta.WeightDecay);
    }
}
