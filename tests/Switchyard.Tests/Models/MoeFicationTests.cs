using System.Text.Json;
using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Models;
using Switchyard.Routing;
using Switchyard.Routing.Scorers;
using Switchyard.Tensors;

namespace Switchyard.Tests.Models;

public class MoeFicationTests
{
    const int D = 16, Dense = 32, G = 4, N = 2;

    // A dense Llama and the Mixtral it is MoE-fied into: E = N·G experts of width Dense/G, dynamic-dino top-G.
    internal static (DecoderModel Dense, DecoderModel Moe) Models(int g = G, int n = N, string router = "dynamic-dino", string routerOptions = "{ \"k\": 4 }")
    {
        var moe = TinyConfigs.Create("mixtral", initStd: 0.3) with
        {
            HiddenSize = D, IntermediateSize = Dense / g, NumAttentionHeads = 2, HeadDim = 8, NumExperts = n * g, NumExpertsPerTok = g,
            Switchyard = new SwitchyardOptions { Router = router, RouterOptions = JsonDocument.Parse(routerOptions).RootElement.Clone() },
        };
        // The reproduction's dense arm: the MoE config's dense control (width k·F = Dense, same attention, norms, RoPE).
        ModelConfig dense = moe.DenseControl();
        return (new DecoderModel(dense, new Rng(1)), new DecoderModel(moe, new Rng(2), MoeFeedForward.Factory));
    }

    static JsonElement Options(string json) => JsonDocument.Parse(json).RootElement.Clone();

    static Tensor Input(int rows, ulong seed, float scale = 1f)
    {
        var x = new Tensor(new Shape(rows, D));
        new Rng(seed).FillNormal(x.Span, scale);
        return x;
    }

    [Fact]
    public void Convert_BeforeAnyUpdate_EveryMoeLayerEqualsItsDenseFfn()
    {
        // Given a dense model MoE-fied with g = 4 slices × N = 2 replicas
        var (dense, moe) = Models();
        ModelConversions.Apply(MoeFication.Name, dense, moe, Options("{ \"granularity\": 4, \"replicas\": 2 }"), new Rng(3));
        for (int layer = 0; layer < 2; layer++)
        {
            var ffn = (DenseFeedForward)dense.Layers[layer].FeedForward;
            var block = (MoeFeedForward)moe.Layers[layer].FeedForward;
            foreach (float scale in new[] { 0.5f, 1f, 4f })
            {
                // When both run on the same random rows
                var tape = new Tape();
                Tensor x = Input(37, (ulong)(10 + layer), scale);
                float[] expected = ffn.Forward(tape, tape.Constant(x), default).Value.ToArray();
                float[] actual = block.Layer.Forward(tape, tape.Constant(x), new RoutingContext(new Rng(4))).Value.ToArray();
                // Then max |MoE(x) − FFN(x)| < 1e-5 (relative to the output's size once it exceeds 1)
                double max = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
                double size = Math.Max(1, expected.Max(Math.Abs));
                Assert.True(max < 1e-5 * size, $"layer {layer}, scale {scale}: max |MoE − FFN| = {max:E2} for outputs up to {size:G3}");
                Assert.True(expected.Max(Math.Abs) > 0.01f, "the FFN output is not negligible");
            }
        }
    }

    [Fact]
    public void Convert_BeforeAnyUpdate_LogitsEqualTheDenseModels()
    {
        var (dense, moe) = Models();
        ModelConversions.Apply(MoeFication.Name, dense, moe, null, new Rng(3)); // g and N from the target: k = 4, E/k = 2
        var ids = new int[2 * 9];
        var rng = new Rng(5);
        for (int i = 0; i < ids.Length; i++) ids[i] = rng.NextInt(11);
        var tape = new Tape();
        float[] expected = dense.Forward(tape, ids, 2, 9).Value.ToArray();
        float[] actual = moe.Forward(tape, ids, 2, 9).Value.ToArray();
        double max = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(max < 1e-5, $"max |logit difference| = {max:E2}");
    }

    [Fact]
    public void Convert_EveryTokenTakesOneReplicaOfEverySlice_WithWeightOne_AndBothReplicasServeTokens()
    {
        var (dense, moe) = Models();
        ModelConversions.Apply(MoeFication.Name, dense, moe, null, new Rng(3));
        MoeLayer layer = ((MoeFeedForward)moe.Layers[0].FeedForward).Layer;
        var tape = new Tape();
        layer.Forward(tape, tape.Constant(Input(200, 7)), new RoutingContext(new Rng(4)));
        RoutingPlan plan = layer.Plan;
        var replicaUse = new int[N];
        for (int t = 0; t < plan.Items; t++)
        {
            var slices = new List<int>();
            for (int s = plan.ItemOffsets[t]; s < plan.ItemOffsets[t + 1]; s++)
            {
                int slot = plan.ItemSlot[s], e = plan.Expert[slot];
                slices.Add(e / N);
                replicaUse[e % N]++;
                Assert.Equal(1f, plan.Weight[slot], 5);
            }
            Assert.Equal([0, 1, 2, 3], slices.Order());
        }
        // The random per-replica router rows break the symmetry from step 0: both copies get tokens.
        Assert.All(replicaUse, u => Assert.True(u > 20, $"replica use {string.Join(", ", replicaUse)}"));
    }

    [Fact]
    public void Convert_RouterGetsAGradient_AndSlicesRowsStartToDiffer()
    {
        var (dense, moe) = Models();
        ModelConversions.Apply(MoeFication.Name, dense, moe, null, new Rng(3));
        MoeLayer layer = ((MoeFeedForward)moe.Layers[0].FeedForward).Layer;
        var scorer = (LinearScorer)layer.Router.Scorer;
        var tape = new Tape();
        Var y = layer.Forward(tape, tape.Variable(Input(64, 8)), new RoutingContext(new Rng(4)));
        var w = new Tensor(y.Shape);
        new Rng(9).FillNormal(w.Span);
        tape.Backward(tape.Sum(tape.Mul(y, tape.Constant(w))));
        float[] grad = scorer.Weight.Grad.ToArray();
        Assert.Contains(grad, v => Math.Abs(v) > 1e-6f);
        // Rows 0 (slice 0, replica 0) and 2 (slice 1, replica 0) start equal but get different gradients.
        Assert.Equal(scorer.Weight.Value.Span.Slice(0, D).ToArray(), scorer.Weight.Value.Span.Slice(2 * D, D).ToArray());
        Assert.NotEqual(grad.AsSpan(0, D).ToArray(), grad.AsSpan(2 * D, D).ToArray());
    }

    [Fact]
    public void Convert_UnknownOption_ListsTheValidOnes()
    {
        var (dense, moe) = Models();
        var e = Assert.Throws<InvalidConfigException>(() => ModelConversions.Apply(MoeFication.Name, dense, moe, Options("{ \"slices\": 4 }"), new Rng(3)));
        Assert.Contains("init.options.slices", e.Message);
        Assert.Contains("granularity", e.Message);
        Assert.Contains("replicas", e.Message);
        Assert.Contains("router_std", e.Message);
    }

    [Theory]
    [InlineData("{ \"granularity\": 2 }", "expert width 8")]
    [InlineData("{ \"granularity\": 4, \"replicas\": 3 }", "8 experts")]
    [InlineData("{ \"router_std\": -1 }", "router_std")]
    public void Convert_OptionsThatDoNotFitTheTarget_SayWhy(string options, string expected)
    {
        var (dense, moe) = Models();
        var e = Assert.Throws<InvalidConfigException>(() => ModelConversions.Apply(MoeFication.Name, dense, moe, Options(options), new Rng(3)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Convert_RouterWithoutTheGateScale_IsRefusedNamingDynamicDino()
    {
        // Plain renormalised top-4 weighs each slice 1/4: the dense output is not reproduced.
        var (dense, moe) = Models(router: "top-k", routerOptions: "{ \"k\": 4, \"normalize\": true }");
        var e = Assert.Throws<InvalidConfigException>(() => ModelConversions.Apply(MoeFication.Name, dense, moe, null, new Rng(3)));
        Assert.Contains("dynamic-dino", e.Message);
    }

    [Fact]
    public void Apply_UnknownConversion_ListsMoefy()
    {
        var (dense, moe) = Models();
        var e = Assert.Throws<InvalidConfigException>(() => ModelConversions.Apply("moefi", dense, moe, null, new Rng(3)));
        Assert.Contains("\"moefy\"", e.Message);
    }
}
