using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Routing;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Experts;

public class TernaryExpertsTests
{
    const int D = 6, F = 5, E = 3;
    // Rows grouped by expert: 3 rows to expert 0, none to expert 1, 4 to expert 2.
    static readonly int[] Offsets = [0, 3, 3, 7];
    const int Rows = 7;

    static RoutingPlan Plan()
    {
        var plan = new RoutingPlan();
        plan.Begin(Rows, E);
        int[] expertOf = [0, 0, 0, 2, 2, 2, 2];
        for (int i = 0; i < Rows; i++) plan.Add(i, expertOf[i], 1f);
        plan.Finish();
        plan.SetWeights(Enumerable.Repeat(1f, Rows).ToArray());
        return plan;
    }

    static TernaryExperts Build(int bits = 8) => new(D, E, F, new Rng(5), initStd: 0.5f, activationBits: bits);

    [Fact]
    public void Ternarize_EffectiveWeightsAreMinusAlphaZeroOrAlpha_AlphaIsMeanAbs()
    {
        float[] w = Rand.Floats(new Rng(1), 200, 0.3f), q = new float[200];
        float alpha = TernaryExperts.Ternarize(w, q);
        Assert.Equal(w.Average(v => Math.Abs(v)), alpha, 1e-6f);
        Assert.All(q, v => Assert.True(v == -alpha || v == 0f || v == alpha, $"{v} is not in {{-α, 0, α}}"));
        for (int i = 0; i < w.Length; i++) Assert.Equal(Math.Clamp(Math.Round(w[i] / alpha, MidpointRounding.ToEven), -1, 1) * alpha, q[i], 1e-6f);
        Assert.Contains(q, v => v == 0f);
        Assert.Contains(q, v => v == alpha);
        Assert.Contains(q, v => v == -alpha);
    }

    [Fact]
    public void Ternarize_ZeroMatrix_StaysZero()
    {
        float[] w = new float[8], q = new float[8];
        TernaryExperts.Ternarize(w, q);
        Assert.All(q, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void QuantizeRows_Int8AbsmaxPerRow()
    {
        float[] x = Rand.Floats(new Rng(2), 3 * 10, 4f), q = new float[30];
        TernaryExperts.QuantizeRows(x, q, 10, 8);
        for (int r = 0; r < 3; r++)
        {
            float max = x.Skip(r * 10).Take(10).Max(Math.Abs), step = max / 127f;
            for (int c = 0; c < 10; c++)
            {
                float level = q[r * 10 + c] / step;
                Assert.Equal(MathF.Round(level), level, 1e-3f); // an integer multiple of the row's step
                Assert.True(Math.Abs(level) <= 127.001f);
                Assert.True(Math.Abs(q[r * 10 + c] - x[r * 10 + c]) <= step / 2 + 1e-6f);
            }
            Assert.Equal(max, q.Skip(r * 10).Take(10).Max(Math.Abs), 1e-5f); // the absmax entry is exact
        }
    }

    // The forward in double from given effective weights and quantised inputs (or, with quantizeHidden, a
    // hidden quantised as the float op does), plus the straight-through surrogate of the whole op.
    sealed class Reference
    {
        public double[] Wgu = [], Wd = [], X = [];
        public double[] OffW = [], OffD = [], OffX = [], OffH = [];

        // Surrogate: every quantiser q(u) replaced by u + (q(u₀) − u₀) with u₀ the operating point: same value, identity derivative.
        public double[] Forward()
        {
            var y = new double[Rows * D];
            for (int e = 0; e < E; e++)
                for (int r = Offsets[e]; r < Offsets[e + 1]; r++)
                {
                    var h = new double[F];
                    for (int j = 0; j < F; j++)
                    {
                        double g = 0, u = 0;
                        for (int c = 0; c < D; c++)
                        {
                            double xq = X[r * D + c] + OffX[r * D + c];
                            int gi = ((2 * e) * F + j) * D + c, ui = ((2 * e + 1) * F + j) * D + c;
                            g += (Wgu[gi] + OffW[gi]) * xq;
                            u += (Wgu[ui] + OffW[ui]) * xq;
                        }
                        h[j] = g / (1 + Math.Exp(-g)) * u + OffH[r * F + j];
                    }
                    for (int c = 0; c < D; c++)
                        for (int j = 0; j < F; j++)
                        {
                            int di = (e * D + c) * F + j;
                            y[r * D + c] += (Wd[di] + OffD[di]) * h[j];
                        }
                }
            return y;
        }
    }

    static Reference SurrogateAt(TernaryExperts experts, Tensor x)
    {
        int fd = F * D;
        float[] qgu = new float[experts.Latent.GateUp.Length], qd = new float[experts.Latent.Down.Length], xq = new float[x.Length];
        for (int m = 0; m < 2 * E; m++) TernaryExperts.Ternarize(experts.Latent.GateUp.Span.Slice(m * fd, fd), qgu.AsSpan(m * fd, fd));
        for (int e = 0; e < E; e++) TernaryExperts.Ternarize(experts.Latent.Down.Span.Slice(e * fd, fd), qd.AsSpan(e * fd, fd));
        TernaryExperts.QuantizeRows(x.Span, xq, D, experts.ActivationBits);
        var r = new Reference { Wgu = Rand.ToDouble(experts.Latent.GateUp.Span), Wd = Rand.ToDouble(experts.Latent.Down.Span), X = Rand.ToDouble(x.Span) };
        r.OffW = [.. qgu.Select((q, i) => q - r.Wgu[i])];
        r.OffD = [.. qd.Select((q, i) => q - r.Wd[i])];
        r.OffX = [.. xq.Select((q, i) => q - r.X[i])];
        // The hidden's offset: its quantisation at the operating point (h₀ from the quantised weights and inputs).
        r.OffH = new double[Rows * F];
        double[] h0 = Hidden(r);
        var hq = new float[h0.Length];
        TernaryExperts.QuantizeRows(Rand.ToFloat(h0), hq, F, experts.ActivationBits);
        for (int i = 0; i < h0.Length; i++) r.OffH[i] = hq[i] - h0[i];
        return r;
    }

    static double[] Hidden(Reference r)
    {
        var h = new double[Rows * F];
        for (int e = 0; e < E; e++)
            for (int row = Offsets[e]; row < Offsets[e + 1]; row++)
                for (int j = 0; j < F; j++)
                {
                    double g = 0, u = 0;
                    for (int c = 0; c < D; c++)
                    {
                        double xq = r.X[row * D + c] + r.OffX[row * D + c];
                        int gi = ((2 * e) * F + j) * D + c, ui = ((2 * e + 1) * F + j) * D + c;
                        g += (r.Wgu[gi] + r.OffW[gi]) * xq;
                        u += (r.Wgu[ui] + r.OffW[ui]) * xq;
                    }
                    h[row * F + j] = g / (1 + Math.Exp(-g)) * u;
                }
        return h;
    }

    static Tensor Input(ulong seed)
    {
        var x = new Tensor(new Shape(Rows, D));
        new Rng(seed).FillNormal(x.Span, 2f);
        return x;
    }

    [Fact]
    public void Forward_UsesTernaryWeightsAndInt8Activations()
    {
        TernaryExperts experts = Build();
        Tensor x = Input(3);
        var tape = new Tape();
        Var y = experts.Forward(tape, tape.Constant(x), Plan());
        GradCheck.AssertClose(SurrogateAt(experts, x).Forward(), Rand.ToDouble(y.Value.Span), 1e-4, "y");
    }

    [Theory]
    [InlineData(8)]
    [InlineData(0)]
    public void Backward_StraightThrough_MatchesCentralDifferencesOfTheSurrogate(int bits)
    {
        // Given loss = Σ R∘y with latent weights and rows as leaves
        TernaryExperts experts = Build(bits);
        Tensor x = Input(4), r = Input(5);
        var tape = new Tape();
        Var xv = tape.Variable(x);
        Var y = experts.Forward(tape, xv, Plan());
        experts.ZeroGrad();

        // When
        tape.Backward(tape.Sum(tape.Mul(y, tape.Constant(r))));

        // Then the STE gradients are the exact gradients of x + (q(x) − x).detach() at every quantiser
        Reference reference = SurrogateAt(experts, x);
        double[] w = Rand.ToDouble(r.Span);
        double Loss(double[] _) => GradCheck.Dot(w, reference.Forward());
        GradCheck.AssertClose(GradCheck.Numeric(Loss, reference.X), Rand.ToDouble(xv.Grad.Span), 2e-3, "dx");
        GradCheck.AssertClose(GradCheck.Numeric(Loss, reference.Wgu), Rand.ToDouble(experts.Latent.GateUpGrad.Span), 2e-3, "d gate/up");
        GradCheck.AssertClose(GradCheck.Numeric(Loss, reference.Wd), Rand.ToDouble(experts.Latent.DownGrad.Span), 2e-3, "d down");
        // The expert without rows gets no gradient.
        Assert.All(experts.Expert1Gradients(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void StorageBytes_158BitsPerWeightPlusOneScalePerMatrix()
    {
        TernaryExperts experts = Build();
        Assert.Equal(E * (3.0 * D * F * 1.58 / 8 + 12), experts.StorageBytes, 9);
        Assert.Equal(2L * 3 * D * F, experts.FlopsPerRow(0));
    }

    [Fact]
    public void Parameters_LatentWeightsUnderSwiGluExpertNames()
    {
        TernaryExperts experts = Build();
        Assert.Equal(
            [.. Enumerable.Range(0, E).SelectMany(e => new[] { $"{e}.gate_proj.weight", $"{e}.up_proj.weight", $"{e}.down_proj.weight" })],
            experts.NamedParameters().Select(p => p.Name));
    }
}

file static class TernaryTestExtensions
{
    // Expert 1's latent gradients (it received no rows in the test plan).
    public static float[] Expert1Gradients(this TernaryExperts experts)
    {
        int fd = experts.Width * experts.ModelDim;
        return [.. experts.Latent.GateUpGrad.Span.Slice(2 * fd, 2 * fd).ToArray(), .. experts.Latent.DownGrad.Span.Slice(fd, fd).ToArray()];
    }
}
