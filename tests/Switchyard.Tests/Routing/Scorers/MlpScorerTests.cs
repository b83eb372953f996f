using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Scorers;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Routing.Scorers;

public class MlpScorerTests
{
    const int N = 3, D = 4, E = 5;

    // h = W2·tanh(W1·x) + (softplus(Wn·x) + 0.01)·ε, in double; v = [x | W1 | W2 | Wn].
    static double[] Reference(double[] v, double[] eps, bool noisy)
    {
        var h = new double[N * E];
        int w1 = N * D, w2 = w1 + E * D, wn = w2 + E * E;
        for (int t = 0; t < N; t++)
        {
            var a = new double[E];
            for (int e = 0; e < E; e++)
            {
                double s = 0;
                for (int j = 0; j < D; j++) s += v[w1 + e * D + j] * v[t * D + j];
                a[e] = Math.Tanh(s);
            }
            for (int e = 0; e < E; e++)
            {
                double s = 0;
                for (int j = 0; j < E; j++) s += v[w2 + e * E + j] * a[j];
                if (noisy)
                {
                    double z = 0;
                    for (int j = 0; j < D; j++) z += v[wn + e * D + j] * v[t * D + j];
                    s += (Math.Log(1 + Math.Exp(z)) + 0.01) * eps[t * E + e];
                }
                h[t * E + e] = s;
            }
        }
        return h;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Score_GradientsOfInputAndWeights_MatchFloat64(bool training)
    {
        // Given a noisy gate with a non-zero noise weight (zero-initialised gates have no noise gradient to see)
        var scorer = new MlpScorer(D, E, new Rng(5));
        new Rng(6).FillNormal(scorer.NoiseWeight!.Value.Span, 0.5f);
        var x = new Tensor(new Shape(N, D));
        new Rng(7).FillNormal(x.Span);
        var tape = new Tape(4096);
        Var xv = tape.Variable(x);
        Var h = scorer.Score(tape, xv, new RoutingContext(new Rng(8)) { Training = training });
        double[] eps = training ? Rand.ToDouble(scorer.LastNoise!.Value.Noise.Span) : new double[N * E];
        Assert.Equal(training, scorer.LastNoise is not null);

        // When Σ w∘h is back-propagated
        double[] w = Rand.Doubles(new Rng(9), N * E);
        var wt = new Tensor(h.Shape);
        Rand.ToFloat(w).CopyTo(wt.Span);
        scorer.ZeroGrad();
        tape.Backward(tape.Sum(tape.Mul(h, tape.Constant(wt))));

        // Then every gradient matches central differences of the double definition
        double[] v = [.. Rand.ToDouble(x.Span), .. Rand.ToDouble(scorer.W1.Value.Span), .. Rand.ToDouble(scorer.W2.Value.Span), .. Rand.ToDouble(scorer.NoiseWeight.Value.Span)];
        Assert.Equal(Reference(v, eps, training), Rand.ToDouble(h.Value.Span), new ToleranceComparer(1e-5));
        double[] expected = GradCheck.Numeric(p => GradCheck.Dot(w, Reference(p, eps, training)), v);
        double[] actual = [.. Rand.ToDouble(xv.Grad.Span), .. Rand.ToDouble(scorer.W1.Grad.Span), .. Rand.ToDouble(scorer.W2.Grad.Span),
            .. training ? Rand.ToDouble(scorer.NoiseWeight.Grad.Span) : new double[E * D]];
        GradCheck.AssertClose(expected, actual, 2e-4);
    }

    [Fact]
    public void Score_NoiseStartsAtLn2PlusEpsilon_AndOnlyWhileTraining()
    {
        var scorer = new MlpScorer(D, E, new Rng(1));
        var x = new Tensor(new Shape(N, D));
        new Rng(2).FillNormal(x.Span);
        var tape = new Tape(4096);
        float[] clean = scorer.Score(tape, tape.Constant(x), new RoutingContext(new Rng(3))).Value.ToArray();
        Assert.Null(scorer.LastNoise);
        Assert.Equal(clean, scorer.Clean(tape, tape.Constant(x)).Value.ToArray());
        float[] noisy = scorer.Score(tape, tape.Constant(x), new RoutingContext(new Rng(3)) { Training = true }).Value.ToArray();
        Assert.NotEqual(clean, noisy);
        // W_noise = 0 → σ = softplus(0) + 0.01 = ln 2 + 0.01 everywhere.
        foreach (float s in scorer.LastNoise!.Value.Std.Value.Span) Assert.Equal(MathF.Log(2) + 0.01f, s, 1e-6f);
    }

    [Fact]
    public void NamedParameters_GateLayout()
    {
        var scorer = new MlpScorer(D, E, new Rng(1));
        Assert.Equal(["w1", "w2", "noise_weight"], scorer.NamedParameters().Select(p => p.Name).ToArray());
        Assert.Equal(new Shape(E, D), scorer.W1.Shape);
        Assert.Equal(new Shape(E, E), scorer.W2.Shape);
        Assert.All(scorer.NoiseWeight!.Value.ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(["w1", "w2"], new MlpScorer(D, E, new Rng(1), noisy: false).NamedParameters().Select(p => p.Name).ToArray());
    }

    sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance * (1 + Math.Abs(a));
        public int GetHashCode(double v) => 0;
    }
}
