using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Balancers;
using Switchyard.Routing.Catalog;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Routing.Balancers;

public sealed class ManifoldAlignmentLossTests
{
    const int Seq = 12, N = 2 * Seq, E = 3, V = 8;

    // Two sequences: 0 = text, 1 = prompt, 2 = answer (roles of the targets). Complete examples: sequence 0 positions
    // 1..5 (prompt 1..3); sequence 1 positions 4..6 and 7..10. Cut ones: 0's second (answer runs to the end), 1's first (starts at 0).
    static readonly int[] Roles = [0, 1, 1, 1, 2, 2, 0, 1, 1, 2, 2, 2, 1, 1, 2, 0, 1, 2, 2, 1, 1, 1, 2, 0];
    static readonly (int Start, int PromptEnd, int End)[] Expected = [(1, 4, 6), (16, 17, 19), (19, 22, 23)];

    static RoutingContext Context(bool training = true)
    {
        var rng = new Rng(3);
        return new RoutingContext(rng)
        {
            Training = training, SequenceLength = Seq, TokenRoles = Roles,
            TokenIds = Enumerable.Range(0, N).Select(_ => rng.NextInt(V)).ToArray(),
        };
    }

    [Fact]
    public void Samples_KeepOnlyCompleteExamples()
    {
        Assert.Equal(Expected, ManifoldAlignmentLoss.Samples(Roles, Seq).ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Loss_MatchesTheDefinitionAndItsFloat64Gradient(bool lastToken)
    {
        // Given 3 references (= k, so all are neighbours) with positive embeddings and random routing
        const float lambda = 0.7f;
        var loss = new ManifoldAlignmentLoss(lambda, neighbours: 3, vocabulary: V, lastToken);
        float[] refEmb = Rand.Floats(new Rng(21), 3 * V).Select(x => Math.Abs(x) + 0.05f).ToArray();
        float[] refRouting = Rand.Floats(new Rng(22), 3 * E).Select(Math.Abs).ToArray();
        loss.SetReferences(refEmb, refRouting, E);
        RoutingContext context = Context();
        int[] ids = context.TokenIds.ToArray();
        Tensor probs = TapeGradCheck.Random(new Shape(N, E), 23, 0f, 1f);
        var stats = new RoutingStatistics();

        // Then value and gradient with respect to the probabilities match λ/S Σ_i Σ_j W_ij ‖r_i − r_j‖² in double
        TapeGradCheck.Check([probs], (tape, v) =>
            loss.Loss(tape, new BalancerInput(v[0], v[0], new RoutingPlan(), context, new TopKSelector(1)), stats)!, x =>
        {
            double total = 0;
            foreach (var (start, promptEnd, end) in Expected)
            {
                var r = new double[E];
                for (int t = start; t < end; t++)
                    if (!lastToken || t == promptEnd)
                        for (int c = 0; c < E; c++) r[c] += x[0][t * E + c] / (lastToken ? 1 : end - start);
                var bag = new double[V];
                for (int t = start + 1; t <= promptEnd; t++) bag[ids[t]]++;
                double bagNorm = Math.Sqrt(bag.Sum(b => b * b));
                var w = new double[3];
                for (int j = 0; j < 3; j++)
                {
                    double dot = 0, norm = 0;
                    for (int u = 0; u < V; u++) { dot += refEmb[j * V + u] * bag[u]; norm += (double)refEmb[j * V + u] * refEmb[j * V + u]; }
                    w[j] = dot / (Math.Sqrt(norm) * bagNorm);
                }
                double wsum = w.Sum();
                for (int j = 0; j < 3; j++)
                {
                    double sq = 0;
                    for (int c = 0; c < E; c++) sq += (r[c] - refRouting[j * E + c]) * (r[c] - refRouting[j * E + c]);
                    total += w[j] / wsum * sq;
                }
            }
            return [lambda * total / Expected.Length];
        }, tolerance: 2e-3);
        Assert.Equal(3, loss.LastSamples);
    }

    [Fact]
    public void Loss_NotTrainingOrNoReferences_IsAbsent()
    {
        var tape = new Tape(4096);
        Var p = tape.Constant(TapeGradCheck.Random(new Shape(N, E), 1, 0f, 1f));
        var stats = new RoutingStatistics();
        var loss = new ManifoldAlignmentLoss(1f, 2, V);
        Assert.Null(loss.Loss(tape, new BalancerInput(p, p, new RoutingPlan(), Context(), new TopKSelector(1)), stats)); // no references
        loss.SetReferences(new float[2 * V].Select((_, i) => 1f + i).ToArray(), new float[2 * E], E);
        Assert.Null(loss.Loss(tape, new BalancerInput(p, p, new RoutingPlan(), Context(training: false), new TopKSelector(1)), stats));
        Assert.NotNull(loss.Loss(tape, new BalancerInput(p, p, new RoutingPlan(), Context(), new TopKSelector(1)), stats));
    }

    [Fact]
    public void SetReferences_MismatchedLengths_Throw()
    {
        var loss = new ManifoldAlignmentLoss(1f, 2, V);
        Assert.Throws<ArgumentException>(() => loss.SetReferences(new float[2 * V], new float[3 * E], E));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ManifoldAlignmentLoss(-1f, 2, V));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ManifoldAlignmentLoss(1f, 0, V));
    }

    [Theory]
    [InlineData("neighbours=0", "option 'neighbours' = 0 must be int ≥ 1")]
    [InlineData("lambda=-1", "option 'lambda' = -1 must be float ≥ 0")]
    [InlineData("pooling=max", "'pooling'")]
    public void Catalog_BadOptions_ThrowOneMessageListingValidOptions(string assignment, string expected)
    {
        var ex = Assert.Throws<InvalidRouterOptionException>(() => RouterCatalog.Create("roma", new RouterSetup(16, 8, new Rng(1)), [assignment]));
        Assert.Contains(expected, ex.Message);
        Assert.Contains("valid options: k (int ≥ 1, default 2); lambda", ex.Message);
    }

    [Fact]
    public void Catalog_Roma_CarriesTheManifoldTerm()
    {
        Router router = RouterCatalog.Create("roma", new RouterSetup(16, 8, new Rng(1)), ["lambda=0.5", "neighbours=3"]);
        var term = Assert.Single(router.Balancers.OfType<ManifoldAlignmentLoss>());
        Assert.Equal(0.5f, term.Lambda);
        Assert.Equal(3, term.Neighbours);
    }
}
