using System.Text.Json;
using Switchyard.Autograd;
using Switchyard.Inference;
using Switchyard.Models;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Routing.Scorers;
using Switchyard.Tensors;
using Switchyard.Tests.Models;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Routing.Scorers;

public sealed class GraphMixScorerTests
{
    const int Batch = 2, Seq = 5, Heads = 2, KvHeads = 1, Dim = 3, Experts = 4;

    [Fact]
    public void AffinityBackward_MatchesCentralDifferences_InFloat64()
    {
        // Given random queries, keys and an upstream gradient on A [B, T, T]
        var rng = new Rng(11);
        double[] q = Rand.Doubles(rng, Batch * Seq * Heads * Dim), k = Rand.Doubles(rng, Batch * Seq * KvHeads * Dim);
        double[] w = Rand.Doubles(rng, Batch * Seq * Seq);
        const double scale = 0.7;
        double Loss(double[] qq, double[] kk)
        {
            var probs = new double[Batch * Heads * Seq * Seq];
            var a = new double[Batch * Seq * Seq];
            CausalGraph.AffinityForward<double>(qq, kk, probs, a, Batch, Seq, Heads, KvHeads, Dim, scale);
            return GradCheck.Dot(w, a);
        }

        // When the backward runs
        var p = new double[Batch * Heads * Seq * Seq];
        var aa = new double[Batch * Seq * Seq];
        CausalGraph.AffinityForward<double>(q, k, p, aa, Batch, Seq, Heads, KvHeads, Dim, scale);
        double[] dq = new double[q.Length], dk = new double[k.Length];
        CausalGraph.AffinityBackward<double>(q, k, p, w, dq, dk, Batch, Seq, Heads, KvHeads, Dim, scale, true, true);

        // Then it matches central differences for q and for k
        GradCheck.AssertClose(GradCheck.Numeric(x => Loss(x, k), q), dq, 1e-7, "dq");
        GradCheck.AssertClose(GradCheck.Numeric(x => Loss(q, x), k), dk, 1e-7, "dk");
    }

    [Fact]
    public void AffinityBackward_SharedQueriesAndKeys_MatchesCentralDifferences_InFloat64()
    {
        // The similarity graph: q = k = Z (one head), both gradients accumulate into one buffer.
        var rng = new Rng(12);
        double[] z = Rand.Doubles(rng, Batch * Seq * Dim), w = Rand.Doubles(rng, Batch * Seq * Seq);
        const double scale = 0.4;
        double Loss(double[] zz)
        {
            var a = new double[Batch * Seq * Seq];
            CausalGraph.AffinityForward<double>(zz, zz, new double[Batch * Seq * Seq], a, Batch, Seq, 1, 1, Dim, scale);
            return GradCheck.Dot(w, a);
        }
        var p = new double[Batch * Seq * Seq];
        CausalGraph.AffinityForward<double>(z, z, p, new double[Batch * Seq * Seq], Batch, Seq, 1, 1, Dim, scale);
        var dz = new double[z.Length];
        CausalGraph.AffinityBackward<double>(z, z, p, w, dz, dz, Batch, Seq, 1, 1, Dim, scale, true, true);
        GradCheck.AssertClose(GradCheck.Numeric(Loss, z), dz, 1e-7, "dz");
    }

    [Fact]
    public void MixBackward_MatchesCentralDifferences_InFloat64()
    {
        var rng = new Rng(13);
        double[] a = Rand.Doubles(rng, Batch * Seq * Seq), g = Rand.Doubles(rng, Batch * Seq * Experts), w = Rand.Doubles(rng, Batch * Seq * Experts);
        double Loss(double[] aa, double[] gg)
        {
            var p = new double[Batch * Seq * Experts];
            CausalGraph.MixForward<double>(aa, gg, p, Batch, Seq, Experts);
            return GradCheck.Dot(w, p);
        }
        double[] da = new double[a.Length], dg = new double[g.Length];
        CausalGraph.MixBackward<double>(a, g, w, da, dg, Batch, Seq, Experts, true, true);
        double[] numericA = GradCheck.Numeric(x => Loss(x, g), a);
        // Entries above the diagonal are not read (the graph is causal): their gradient is 0 by construction.
        GradCheck.AssertClose(numericA, da, 1e-7, "da");
        GradCheck.AssertClose(GradCheck.Numeric(x => Loss(a, x), g), dg, 1e-7, "dg");
    }

    [Fact]
    public void Affinity_RowsAreCausalDistributions()
    {
        var rng = new Rng(14);
        float[] q = Rand.Floats(rng, Batch * Seq * Heads * Dim, 2f), k = Rand.Floats(rng, Batch * Seq * KvHeads * Dim, 2f);
        var a = new float[Batch * Seq * Seq];
        CausalGraph.AffinityForward<float>(q, k, new float[Batch * Heads * Seq * Seq], a, Batch, Seq, Heads, KvHeads, Dim, 1f);
        for (int r = 0; r < Batch * Seq; r++)
        {
            int i = r % Seq;
            Assert.Equal(1f, a.AsSpan(r * Seq, i + 1).ToArray().Sum(), 1e-5f);
            Assert.All(a.AsSpan(r * Seq + i + 1, Seq - i - 1).ToArray(), v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void Score_Similarity_IsADistributionPerToken_AndCausal()
    {
        // Given a similarity scorer and two batches that differ only in the last token of each sequence
        var rng = new Rng(5);
        var scorer = new GraphMixScorer(6, Experts, rng, TokenGraph.Similarity, projectionDim: 4);
        var x = new Tensor(new Shape(Batch * Seq, 6));
        rng.FillNormal(x.Span, 3f);
        var changed = new Tensor(x.Shape);
        x.Span.CopyTo(changed.Span);
        for (int c = 0; c < 6; c++) changed.Span[(Seq - 1) * 6 + c] += 5f; // sequence 0, last token
        var tape = new Tape(4096);
        var context = new RoutingContext(new Rng(1)) { SequenceLength = Seq };

        // When both are scored
        float[] p = scorer.Score(tape, tape.Constant(x), context).Value.ToArray();
        float[] p2 = scorer.Score(tape, tape.Constant(changed), context).Value.ToArray();

        // Then every row is a distribution, and the earlier tokens' (and the other sequence's) rows are unchanged
        for (int r = 0; r < Batch * Seq; r++) Assert.Equal(1f, p.AsSpan(r * Experts, Experts).ToArray().Sum(), 1e-5f);
        Assert.Equal(GateActivation.None, scorer.Activation);
        for (int r = 0; r < Batch * Seq; r++)
        {
            if (r == Seq - 1) continue;
            Assert.Equal(p.AsSpan(r * Experts, Experts).ToArray(), p2.AsSpan(r * Experts, Experts).ToArray());
        }
        Assert.NotEqual(p.AsSpan((Seq - 1) * Experts, Experts).ToArray(), p2.AsSpan((Seq - 1) * Experts, Experts).ToArray());
    }

    [Fact]
    public void Score_FirstToken_IsItsOwnGate()
    {
        // Row 0 of a causal graph has one neighbour, itself: P̃_0 = softmax(x_0·W_gᵀ).
        var rng = new Rng(6);
        var scorer = new GraphMixScorer(6, Experts, rng, TokenGraph.Similarity);
        var x = new Tensor(new Shape(Seq, 6));
        rng.FillNormal(x.Span, 30f);
        var tape = new Tape(4096);
        float[] p = scorer.Score(tape, tape.Constant(x), new RoutingContext(new Rng(1)) { SequenceLength = Seq }).Value.ToArray();
        float[] g = tape.Softmax(tape.Linear(tape.Constant(x), tape.Constant(scorer.Weight.Value))).Value.ToArray();
        for (int e = 0; e < Experts; e++) Assert.Equal(g[e], p[e], 1e-6f);
    }

    [Fact]
    public void Score_AttentionWithoutAttentionInputs_ThrowsClearly()
    {
        var scorer = new GraphMixScorer(6, Experts, new Rng(1), TokenGraph.Attention);
        var tape = new Tape(4096);
        var e = Assert.Throws<InvalidOperationException>(() => scorer.Score(tape, tape.Constant(new Tensor(new Shape(4, 6))), new RoutingContext(new Rng(1))));
        Assert.Contains("queries and keys", e.Message);
    }

    [Theory]
    [InlineData("similarity-moe")]
    [InlineData("attention-moe")]
    public void Model_ChangingALaterToken_DoesNotChangeEarlierTokensRouting(string router)
    {
        // Given a tiny Mixtral-style model routed by the graph router (the attention variant reads the layer's own attention)
        var config = TinyConfigs.Create("mixtral", initStd: 0.3) with { Switchyard = new SwitchyardOptions { Router = router } };
        var model = new DecoderModel(config, new Rng(3), MoeFeedForward.Factory);
        int[] ids = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2];
        int[] other = (int[])ids.Clone();
        other[9] = 0; // token 9 of 12 changes

        // When both sequences run
        var (plans, probs) = Routing(model, ids);
        var (plans2, probs2) = Routing(model, other);

        // Then tokens 0..8 are routed identically in every layer, and token 9 is not
        for (int l = 0; l < plans.Count; l++)
        {
            Assert.Equal(plans[l][..(9 * 2)], plans2[l][..(9 * 2)]);
            Assert.Equal(probs[l][..(9 * 4)], probs2[l][..(9 * 4)]);
            Assert.NotEqual(probs[l][(9 * 4)..(10 * 4)], probs2[l][(9 * 4)..(10 * 4)]);
        }
    }

    static (List<int[]> Plans, List<float[]> Probs) Routing(DecoderModel model, int[] ids)
    {
        var tape = new Tape(1 << 14);
        var plans = new List<int[]>();
        var probs = new List<float[]>();
        model.Forward(tape, ids, 1, ids.Length);
        for (int l = 0; l < model.Layers.Count; l++)
        {
            var moe = ((MoeFeedForward)model.Layers[l].FeedForward).Layer;
            plans.Add(moe.Plan.SelectedExpert.ToArray());
            probs.Add(WeightsByItem(moe.Plan));
        }
        return (plans, probs);
    }

    // The plan's weights laid out per item as [items, E] (0 where not selected): comparable across runs.
    static float[] WeightsByItem(RoutingPlan plan)
    {
        var w = new float[plan.Items * plan.Experts];
        ReadOnlySpan<int> item = plan.Item, expert = plan.Expert;
        ReadOnlySpan<float> weight = plan.Weight;
        for (int s = 0; s < plan.Count; s++) w[item[s] * plan.Experts + expert[s]] = weight[s];
        return w;
    }

    [Fact]
    public void Model_AttentionMoe_GradientReachesTheAttentionProjections()
    {
        // The attention graph stays on the tape: a loss on the routing reaches q_proj/k_proj through A (unless detached).
        var config = TinyConfigs.Create("mixtral", initStd: 0.3) with { Switchyard = new SwitchyardOptions { Router = "attention-moe" } };
        var model = new DecoderModel(config, new Rng(4), MoeFeedForward.Factory) { Training = true };
        var tape = new Tape(1 << 14);
        int[] ids = [1, 2, 3, 4, 5, 6, 7, 8];
        Var loss = model.Loss(tape, ids, [2, 3, 4, 5, 6, 7, 8, 9], 1, ids.Length);
        tape.Backward(loss);
        var named = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.Contains(named["model.layers.1.self_attn.k_proj.weight"].Grad.Span.ToArray(), v => v != 0);
        Assert.Contains(named["model.layers.1.block_sparse_moe.gate.weight"].Grad.Span.ToArray(), v => v != 0);
    }

    [Theory]
    [InlineData("similarity-moe", "k=9", "k")]
    [InlineData("similarity-moe", "head_reduction=mean", "head_reduction")]
    [InlineData("similarity-moe", "tau=-1", "tau")]
    [InlineData("attention-moe", "head_reduction=max", "head_reduction")]
    [InlineData("attention-moe", "proj_dim=8", "proj_dim")]
    public void Create_BadOption_OneLineListingTheValidOptions(string router, string option, string field)
    {
        var e = Assert.Throws<InvalidRouterOptionException>(() => RouterCatalog.Create(router, new RouterSetup(8, 4, new Rng(1)), [option]));
        Assert.Contains(field, e.Message);
        Assert.Contains("aux_alpha", e.Message); // the valid options are listed
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Create_Similarity_NamesParametersUnderTheGate()
    {
        var config = TinyConfigs.Create("mixtral") with { Switchyard = new SwitchyardOptions { Router = "similarity-moe", RouterOptions = JsonDocument.Parse("{\"proj_dim\": 5}").RootElement } };
        var names = new DecoderModel(config, new Rng(1), MoeFeedForward.Factory).NamedParameters().Select(p => p.Name).ToHashSet();
        Assert.Contains("model.layers.0.block_sparse_moe.gate.weight", names);
        Assert.Contains("model.layers.0.block_sparse_moe.gate.similarity.weight", names);
    }

    [Theory]
    [InlineData("similarity-moe")]
    [InlineData("attention-moe")]
    public void InferenceEngine_RefusesGraphRouters(string router)
    {
        // Decoding one token at a time would need every earlier token's gates and graph row: refused, not approximated.
        var config = TinyConfigs.Create("mixtral") with { Switchyard = new SwitchyardOptions { Router = router } };
        var model = new DecoderModel(config, new Rng(1), MoeFeedForward.Factory);
        var e = Assert.Throws<InvalidRouterOptionException>(() => InferenceModel.FromModel(model));
        Assert.Contains("trained parameters of its own", e.Message);
    }
}
