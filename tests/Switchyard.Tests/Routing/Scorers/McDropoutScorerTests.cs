using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Routing.Scorers;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Routing.Scorers;

public class McDropoutScorerTests
{
    const int N = 4, D = 5, E = 3;

    // The inner gate's weight comes from the test's tape, so TapeGradCheck can treat it as a leaf.
    sealed class VarLinearScorer : IScorer
    {
        public Var? Weight;
        public int Experts => E;
        public GateActivation Activation => GateActivation.Softmax;
        public Var Score(Tape tape, Var x, RoutingContext context) => tape.Linear(x, Weight!);
    }

    // The masks the scorer draws in evaluation: FillUniform over [N, D] per sample from the reset generator.
    static double[][] EvalMasks(float p, int samples, ulong seed, int layer)
    {
        var rng = new Rng(seed ^ (0x9E3779B97F4A7C15UL * (ulong)(layer + 1)));
        var masks = new double[samples][];
        for (int s = 0; s < samples; s++)
        {
            var u = new float[N * D];
            rng.FillUniform(u, 0f, 1f);
            masks[s] = [.. u.Select(v => v >= p ? 1.0 / (1 - p) : 0.0)];
        }
        return masks;
    }

    // log(mean_s softmax((x ∘ m_s)·Wᵀ)) in double.
    static double[] ReferenceEval(double[] x, double[] w, double[][] masks)
    {
        var q = new double[N * E];
        foreach (double[] m in masks)
            for (int t = 0; t < N; t++)
            {
                var logits = new double[E];
                for (int e = 0; e < E; e++)
                    for (int c = 0; c < D; c++) logits[e] += x[t * D + c] * m[t * D + c] * w[e * D + c];
                double max = logits.Max(), z = logits.Sum(l => Math.Exp(l - max));
                for (int e = 0; e < E; e++) q[t * E + e] += Math.Exp(logits[e] - max) / z / masks.Length;
            }
        return [.. q.Select(v => Math.Log(v))];
    }

    [Fact]
    public void Score_Evaluation_LogMeanSoftmaxOfMSamples_GradientMatchesFloat64()
    {
        const float p = 0.3f;
        const int samples = 3, layer = 1;
        const ulong seed = 7;
        var inner = new VarLinearScorer();
        var scorer = new McDropoutScorer(inner, p, samples, seed: seed);
        var context = new RoutingContext(new Rng(1)) { Training = false, Layer = layer };
        double[][] masks = EvalMasks(p, samples, seed, layer);
        TapeGradCheck.Check(
            [TapeGradCheck.Random(new Shape(N, D), 11, -2, 2), TapeGradCheck.Random(new Shape(E, D), 12, -1, 1)],
            (tape, v) => { inner.Weight = v[1]; return scorer.Score(tape, v[0], context); },
            x => ReferenceEval(x[0], x[1], masks));
    }

    [Fact]
    public void Score_Evaluation_DeterministicAndIndependentOfTheTrainingGenerator()
    {
        var router = RouterCatalog.Create("mofme", new RouterSetup(D, E, new Rng(2)), ["samples=4", "dropout=0.5"]);
        var x = TapeGradCheck.Random(new Shape(N, D), 3);
        var tape = new Tape();
        float[] first = router.Scorer.Score(tape, tape.Constant(x), new RoutingContext(new Rng(10)) { Training = false }).Value.ToArray();
        float[] second = router.Scorer.Score(tape, tape.Constant(x), new RoutingContext(new Rng(99)) { Training = false }).Value.ToArray();
        Assert.Equal(first, second);
    }

    [Fact]
    public void Score_TrainingOneSample_IsTheInnerScoreOfTheDroppedInput()
    {
        const float p = 0.5f;
        var gate = new LinearScorer(D, E, new Rng(4), initStd: 1f);
        var scorer = new McDropoutScorer(gate, p, samples: 8);
        var x = TapeGradCheck.Random(new Shape(N, D), 5);
        var tape = new Tape();
        float[] got = scorer.Score(tape, tape.Constant(x), new RoutingContext(new Rng(6)) { Training = true }).Value.ToArray();

        // One mask from the context's generator, then the plain gate.
        var u = new float[N * D];
        new Rng(6).FillUniform(u, 0f, 1f);
        var dropped = new Tensor(new Shape(N, D));
        for (int i = 0; i < u.Length; i++) dropped[i] = u[i] >= p ? x[i] * 2f : 0f;
        float[] expected = gate.Score(tape, tape.Constant(dropped), new RoutingContext(new Rng(0))).Value.ToArray();
        Assert.Equal(expected, got);
    }

    [Fact]
    public void Score_NoDropout_EvaluationEqualsInner()
    {
        var gate = new LinearScorer(D, E, new Rng(4), initStd: 1f);
        var scorer = new McDropoutScorer(gate, 0f, samples: 5);
        var x = TapeGradCheck.Random(new Shape(N, D), 5);
        var tape = new Tape();
        float[] got = tape.Softmax(scorer.Score(tape, tape.Constant(x), new RoutingContext(new Rng(6)))).Value.ToArray();
        float[] expected = tape.Softmax(gate.Score(tape, tape.Constant(x), new RoutingContext(new Rng(6)))).Value.ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], got[i], 1e-6f);
    }

    [Fact]
    public void Catalog_Mofme_GateParametersAreTheInnerGates()
    {
        var router = RouterCatalog.Create("mofme", new RouterSetup(D, E, new Rng(2)));
        var scorer = Assert.IsType<McDropoutScorer>(router.Scorer);
        var inner = Assert.IsType<LinearScorer>(scorer.Inner);
        Assert.Equal(["weight"], scorer.NamedParameters().Select(p => p.Name));
        Assert.Same(inner.Weight, scorer.OwnParameters[0]);
        Assert.Equal(2, router.Selector.K);
    }

    [Theory]
    [InlineData("dropout=0.95", "dropout")]
    [InlineData("samples=0", "samples")]
    [InlineData("k=9", "k")]
    [InlineData("temperature=2", "temperature")]
    public void Catalog_Mofme_BadOption_OneErrorListingValidOptions(string option, string named)
    {
        var e = Assert.Throws<InvalidRouterOptionException>(() => RouterCatalog.Create("mofme", new RouterSetup(D, E, new Rng(2)), [option]));
        Assert.Contains(named, e.Message);
        Assert.Contains("train_samples", e.Message);
    }
}
