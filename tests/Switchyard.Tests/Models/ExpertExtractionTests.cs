using System.Text.Json;
using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Models;
using Switchyard.Routing;
using Switchyard.Routing.Scorers;
using Switchyard.Tensors;

namespace Switchyard.Tests.Models;

public class ExpertExtractionTests
{
    const int D = 16, Width = 16;

    // A dense byte-level Llama and the read-me Mixtral (3 experts = the bundled mixture's 3 sources) it is refactored into.
    static (DecoderModel Dense, DecoderModel ReadMe) Models(string router = "read-me", string? blockOptions = null)
    {
        var moe = TinyConfigs.Create("mixtral", initStd: 0.3) with
        {
            VocabSize = 260, HiddenSize = D, IntermediateSize = Width, NumAttentionHeads = 2, HeadDim = 8, NumExperts = 3, NumExpertsPerTok = 1,
            Switchyard = new SwitchyardOptions
            {
                Router = router, Block = ReadMeFeedForward.Name,
                BlockOptions = blockOptions is null ? null : JsonDocument.Parse(blockOptions).RootElement.Clone(),
            },
        };
        return (new DecoderModel(moe.DenseControl(), new Rng(1)), new DecoderModel(moe, new Rng(2), MoeFeedForward.Factory));
    }

    static JsonElement Options(string json) => JsonDocument.Parse(json).RootElement.Clone();

    static int[] Ids(int n, ulong seed)
    {
        var ids = new int[n];
        var rng = new Rng(seed);
        for (int i = 0; i < n; i++) ids[i] = 32 + rng.NextInt(90);
        return ids;
    }

    [Fact]
    public void Masks_KeepTopHalfPerDomain_SharedIsTheIntersection_ExpertsTheRest()
    {
        double[][] importance =
        [
            [9, 8, 7, 6, 1, 1, 1, 1],
            [9, 1, 7, 1, 8, 6, 1, 1],
            [9, 8, 1, 1, 1, 1, 7, 6],
        ];
        bool[][] m = ExpertExtraction.Masks(importance, 0.5);
        Assert.Equal([true, false, false, false, false, false, false, false], m[3]); // unit 0: kept by every domain
        Assert.Equal([false, true, true, true, false, false, false, false], m[0]);
        Assert.Equal([false, false, true, false, true, true, false, false], m[1]);
        Assert.Equal([false, true, false, false, false, false, true, true], m[2]); // overlaps expert 0 on unit 1: allowed
    }

    [Fact]
    public void Convert_KeepRateOne_EverythingShared_LogitsEqualTheDenseModels()
    {
        // With keep_rate 1 every domain keeps every unit: R = all units, experts empty, the block is the dense FFN.
        var (dense, readMe) = Models();
        ModelConversions.Apply(ExpertExtraction.Name, dense, readMe, Options("{ \"tokens\": 64, \"seq\": 32, \"keep_rate\": 1 }"), new Rng(3));
        int[] ids = Ids(2 * 12, 5);
        var tape = new Tape();
        float[] expected = dense.Forward(tape, ids, 2, 12).Value.ToArray();
        float[] actual = readMe.Forward(tape, ids, 2, 12).Value.ToArray();
        double max = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(max < 1e-5, $"max |logit difference| = {max:E2}");
    }

    [Fact]
    public void Convert_HalfPerDomain_EachTokenRunsSharedPlusItsExpertsUnits_OfTheDenseWeights()
    {
        // Given a refactored model
        var (dense, readMe) = Models();
        ModelConversions.Apply(ExpertExtraction.Name, dense, readMe, Options("{ \"tokens\": 512, \"seq\": 64 }"), new Rng(3));
        var block = (ReadMeFeedForward)readMe.Layers[0].FeedForward;
        SliceExperts s = block.Slices;
        int[] shared = s.Units(s.Shared);
        for (int e = 0; e < 3; e++)
        {
            // Then every domain kept half the units: |R| + |S_e| = 8, and S_e is disjoint from R
            Assert.Equal(Width / 2, shared.Length + s.Units(e).Length);
            Assert.Empty(s.Units(e).Intersect(shared));
        }
        // And the block computes shared + gate·expert on the dense weights, restricted to those units
        var ffn = (DenseFeedForward)dense.Layers[0].FeedForward;
        var x = new Tensor(new Shape(30, D));
        new Rng(6).FillNormal(x.Span);
        var tape = new Tape();
        var context = new RoutingContext(new Rng(1)) { TokenIds = Ids(30, 8), SequenceLength = 30, State = new RouterState() };
        float[] y = block.Layer.Forward(tape, tape.Constant(x), context).Value.ToArray();
        RoutingPlan plan = block.Layer.Plan;
        double[] h = new double[Width];
        for (int t = 0; t < 30; t++)
        {
            int slot = plan.ItemSlot[plan.ItemOffsets[t]];
            int[] units = s.Units(plan.Expert[slot]);
            for (int j = 0; j < Width; j++)
            {
                double g = 0, u = 0;
                for (int c = 0; c < D; c++) { g += (double)Weight(ffn.GateProj)[j * D + c] * x.Span[t * D + c]; u += (double)Weight(ffn.UpProj)[j * D + c] * x.Span[t * D + c]; }
                h[j] = g / (1 + Math.Exp(-g)) * u * (units.Contains(j) ? plan.Weight[slot] : 0);
            }
            for (int c = 0; c < D; c++)
            {
                double expected = 0;
                for (int j = 0; j < Width; j++) expected += (double)Weight(ffn.DownProj)[c * Width + j] * h[j];
                Assert.Equal(expected, y[t * D + c], 1e-5);
            }
        }
        Assert.Equal(0, readMe.Layers[1].FeedForward.Parameters().Count(p => p.Name.Contains("slice_masks") && p.Trainable));
    }

    static float[] Weight(Switchyard.Nn.ILinearLayer l) => ((Switchyard.Nn.Layers.Linear)l).Weight.Value.ToArray();

    [Fact]
    public void PreGate_OneRouteForEveryLayer_FollowersHaveNoParameters()
    {
        var (dense, readMe) = Models();
        ModelConversions.Apply(ExpertExtraction.Name, dense, readMe, Options("{ \"tokens\": 256, \"seq\": 64 }"), new Rng(3));
        var first = (ReadMeFeedForward)readMe.Layers[0].FeedForward;
        var second = (ReadMeFeedForward)readMe.Layers[1].FeedForward;
        Assert.True(((PreGateScorer)first.Layer.Router.Scorer).IsLeader);
        Assert.False(((PreGateScorer)second.Layer.Router.Scorer).IsLeader);
        Assert.DoesNotContain(second.NamedParameters(), p => p.Name.StartsWith("gate.", StringComparison.Ordinal));
        new Rng(9).FillNormal(((PreGateScorer)first.Layer.Router.Scorer).Parameters().Last().Value.Span, 2f); // spread the routes
        int[] ids = Ids(3 * 20, 4);
        var tape = new Tape();
        readMe.Forward(tape, ids, 3, 20);
        Assert.Equal(first.Layer.Plan.Expert.ToArray(), second.Layer.Plan.Expert.ToArray());
        Assert.Equal(first.Layer.Plan.Item.ToArray(), second.Layer.Plan.Item.ToArray());
        Assert.True(first.Layer.Plan.Expert.ToArray().Distinct().Count() > 1, "the pre-gate spreads tokens over experts");
    }

    [Fact]
    public void PreGate_IsCausalAndIgnoresTheHiddenState()
    {
        var scorer = new PreGateScorer(256, 3, window: 3, width: 4, hidden: 8, new Rng(1), share: false, initStd: 1f);
        int[] ids = Ids(10, 2);
        float[] Score(int[] tokens, float scale)
        {
            var tape = new Tape();
            var x = new Tensor(new Shape(10, 5));
            x.Span.Fill(scale);
            return scorer.Score(tape, tape.Constant(x), new RoutingContext(new Rng(1)) { TokenIds = tokens, SequenceLength = 5 }).Value.ToArray();
        }
        float[] a = Score(ids, 1f);
        Assert.Equal(a, Score(ids, -7f)); // the hidden state does not matter
        int[] changed = (int[])ids.Clone();
        changed[3] = (changed[3] + 1) % 256; // token 3 of sequence 0 (positions 0..4)
        float[] b = Score(changed, 1f);
        for (int t = 0; t < 10; t++)
        {
            bool affected = t is 3 or 4; // itself and the next one inside the window of 3, same sequence
            Assert.Equal(affected, !a.AsSpan(t * 3, 3).SequenceEqual(b.AsSpan(t * 3, 3)));
        }
    }

    [Fact]
    public void PreGate_GradientMatchesCentralDifferences()
    {
        // Float32 tape vs central differences in double over the embedding, both weights: the composition is differentiable end to end.
        var scorer = new PreGateScorer(20, 3, window: 2, width: 3, hidden: 4, new Rng(1), share: false, initStd: 0.7f);
        int[] ids = [1, 5, 7, 19, 2, 5];
        var w = new float[6 * 3];
        new Rng(3).FillNormal(w);
        double Loss()
        {
            var tape = new Tape();
            Var s = scorer.Score(tape, tape.Constant(new Tensor(new Shape(6, 2))), new RoutingContext(new Rng(1)) { TokenIds = ids, SequenceLength = 3 });
            double l = 0;
            for (int i = 0; i < w.Length; i++) l += w[i] * (double)s.Value.Span[i];
            return l;
        }
        var gtape = new Tape();
        Var scores = scorer.Score(gtape, gtape.Constant(new Tensor(new Shape(6, 2))), new RoutingContext(new Rng(1)) { TokenIds = ids, SequenceLength = 3 });
        var wt = new Tensor(scores.Shape);
        w.CopyTo(wt.Span);
        foreach (var p in scorer.Parameters()) p.Grad.Span.Clear();
        gtape.Backward(gtape.Sum(gtape.Mul(scores, gtape.Constant(wt))));
        foreach (var p in scorer.Parameters())
        {
            Span<float> v = p.Value.Span;
            for (int i = 0; i < v.Length; i += 3)
            {
                float keep = v[i];
                const float h = 1e-2f;
                v[i] = keep + h; double up = Loss();
                v[i] = keep - h; double down = Loss();
                v[i] = keep;
                double numeric = (up - down) / (2 * h);
                Assert.True(Math.Abs(numeric - p.Grad.Span[i]) < 2e-3 * (1 + Math.Abs(numeric)), $"{p.Name}[{i}]: numeric {numeric:G6}, tape {p.Grad.Span[i]:G6}");
            }
        }
    }

    [Fact]
    public void Convert_WrongExpertCount_SaysOnePerSource()
    {
        var moe = TinyConfigs.Create("mixtral") with
        {
            VocabSize = 260, HiddenSize = D, IntermediateSize = Width, NumAttentionHeads = 2, HeadDim = 8, NumExperts = 4, NumExpertsPerTok = 1,
            Switchyard = new SwitchyardOptions { Router = "switch", Block = ReadMeFeedForward.Name },
        };
        var e = Assert.Throws<InvalidConfigException>(() =>
            ModelConversions.Apply(ExpertExtraction.Name, new DecoderModel(moe.DenseControl(), new Rng(1)), new DecoderModel(moe, new Rng(2), MoeFeedForward.Factory), null, new Rng(3)));
        Assert.Contains("one per source", e.Message);
    }

    [Theory]
    [InlineData("{ \"keep\": 0.5 }", "keep_rate")]
    [InlineData("{ \"keep_rate\": 0 }", "(0, 1]")]
    [InlineData("{ \"mixture\": \"nope\" }", "bundled")]
    public void Convert_BadOptions_ListTheValidOnes(string options, string expected)
    {
        var (dense, readMe) = Models();
        var e = Assert.Throws<InvalidConfigException>(() => ModelConversions.Apply(ExpertExtraction.Name, dense, readMe, Options(options), new Rng(3)));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Block_SharedRoutingWithAPerLayerRouter_IsRefused()
    {
        var e = Assert.Throws<InvalidConfigException>(() => Models(router: "switch", blockOptions: "{ \"shared_routing\": true }"));
        Assert.Contains("read-me", e.Message);
    }
}
