using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Routing.Pools;
using Switchyard.Routing.Scorers;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;

namespace Switchyard.Tests.Routing.Scorers;

public sealed class PrototypeCosineScorerTests
{
    const int N = 5, D = 4, E = 3;

    // cos(x_t, p_e)/τ in double.
    static double[] Reference(double[] x, double[] p, double tau)
    {
        var s = new double[N * E];
        for (int t = 0; t < N; t++)
            for (int e = 0; e < E; e++)
            {
                double dot = 0, nx = 0, np = 0;
                for (int k = 0; k < D; k++) { dot += x[t * D + k] * p[e * D + k]; nx += x[t * D + k] * x[t * D + k]; np += p[e * D + k] * p[e * D + k]; }
                s[t * E + e] = dot / Math.Sqrt(nx * np) / tau;
            }
        return s;
    }

    [Fact]
    public void Cosine_ValueAndGradientToTokensAndPrototypes_MatchFloat64()
    {
        var ones = new Tensor(new Shape(D));
        ones.Span.Fill(1f);
        TapeGradCheck.Check([TapeGradCheck.Random(new Shape(N, D), 5), TapeGradCheck.Random(new Shape(E, D), 6)],
            (tape, v) => PrototypeCosineScorer.Cosine(tape, v[0], v[1], tape.Constant(ones), 0.1f),
            x => Reference(x[0], x[1], 0.1), tolerance: 2e-3);
    }

    [Fact]
    public void Score_ScaledTokens_SameScores_BoundedByOneOverTau()
    {
        var scorer = new PrototypeCosineScorer(D, E, 0.25f, new Rng(2));
        Tensor x = TapeGradCheck.Random(new Shape(N, D), 7);
        var scaled = new Tensor(x.Shape);
        for (int i = 0; i < x.Span.Length; i++) scaled.Span[i] = 40f * x.Span[i];
        var tape = new Tape(4096);
        var context = new RoutingContext(new Rng(1));
        float[] a = scorer.Score(tape, tape.Constant(x), context).Value.ToArray();
        float[] b = scorer.Score(tape, tape.Constant(scaled), context).Value.ToArray();
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i], b[i], 1e-4f);
            Assert.InRange(a[i], -4.0001f, 4.0001f);
        }
        Assert.Equal("prototypes", Assert.Single(scorer.NamedParameters()).Name);
    }

    [Fact]
    public void Score_WithRoleSplit_MasksTheOtherPoolsExpertsBeforeTheSoftmax()
    {
        // Given 3 experts, the last dedicated to role 1 (prompt); items 0..2 are prompt, answer, unlabelled (-1)
        var pools = new RoleSplitPools(E, 1, hardRole: 1, source: SideIdSource.Target);
        var scorer = new PrototypeCosineScorer(D, E, 0.1f, new Rng(2)) { Pools = pools };
        var tape = new Tape(4096);
        var context = new RoutingContext(new Rng(1)) { TokenRoles = new[] { 1, 2, -1 } };
        float[] p = tape.Softmax(scorer.Score(tape, tape.Constant(TapeGradCheck.Random(new Shape(3, D), 8)), context)).Value.ToArray();

        // Then the prompt token's mass is all on expert 2, the others' on experts 0 and 1 only
        Assert.Equal(1f, p[2], 1e-6f);
        Assert.Equal(0f, p[3 + 2]);
        Assert.Equal(0f, p[6 + 2]);
        Assert.Equal(1f, p[3] + p[4], 1e-6f);
    }

    [Fact]
    public void Create_Promoe_ScoresWithPrototypesUnderTheGate()
    {
        Router router = RouterCatalog.Create("promoe", new RouterSetup(8, 4, new Rng(1)));
        var scorer = Assert.IsType<PrototypeCosineScorer>(router.Scorer);
        Assert.Equal(0.1f, scorer.Tau);
        Assert.Equal(new Shape(4, 8), scorer.Prototypes.Value.Shape);
    }
}
