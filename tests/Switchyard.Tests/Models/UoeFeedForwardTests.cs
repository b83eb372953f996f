using System.Text.Json;
using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Inference;
using Switchyard.Models;
using Switchyard.Routing;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Models;

public sealed class UoeFeedForwardTests
{
    // Tiny Mixtral-style model (2 heads of width 4, sharing 1 kv head) whose MoE layers are UoE blocks: 4 slices of width 3.
    static ModelConfig Uoe(string blockOptions = "{\"slices\": 4, \"slice_width\": 3}", string router = "top-k") =>
        TinyConfigs.Create("mixtral", initStd: 0.3) with
        {
            Switchyard = new SwitchyardOptions { Router = router, Block = UoeFeedForward.BlockName, BlockOptions = JsonDocument.Parse(blockOptions).RootElement },
        };

    static float[] Logits(DecoderModel model, int[] ids)
    {
        var tape = new Tape(1 << 14);
        return model.Forward(tape, ids, 1, ids.Length).Value.ToArray();
    }

    [Fact]
    public void DecomposeDense_AllSlicesOnUnitGates_EqualsTheDenseModelsMlp()
    {
        // Given a dense model (MLP width 12) and a UoE model of 4 slices × 3
        var dense = new DecoderModel(TinyConfigs.Create("llama", initStd: 0.3), new Rng(1), MoeFeedForward.Factory);
        var uoe = new DecoderModel(Uoe(), new Rng(2), MoeFeedForward.Factory);

        // When the dense model is decomposed into it
        ModelConversions.Apply(DenseDecomposition.Name, dense, uoe, null, new Rng(3));

        // Then every layer's slices, all on with unit gates, compute the dense MLP (and attention was copied)
        var x = new Tensor(new Shape(6, 8));
        new Rng(4).FillNormal(x.Span);
        for (int l = 0; l < 2; l++)
        {
            var block = Assert.IsType<UoeFeedForward>(uoe.Layers[l].FeedForward);
            var plan = new RoutingPlan();
            plan.Begin(6, 4);
            for (int i = 0; i < 6; i++) for (int e = 0; e < 4; e++) plan.Add(i, e, 1f);
            plan.Finish();
            var tape = new Tape(1 << 14);
            var ones = new Tensor(new Shape(plan.Count));
            ones.Span.Fill(1f);
            Var outs = block.Slices.Forward(tape, tape.IndexSelect(tape.Constant(x), plan.Item), plan);
            float[] y = MoeCombine.Apply(tape, outs, tape.Constant(ones), plan, null, null).Value.ToArray();
            var context = new LayerContext(default, default, 1, 6, l, false, new Rng(0), new AuxiliaryLosses(), new RoutingContext(new Rng(0)));
            float[] expected = dense.Layers[l].FeedForward.Forward(tape, tape.Constant(x), context).Value.ToArray();
            Assert.True(expected.Zip(y).Max(p => Math.Abs(p.First - p.Second)) < 1e-5f, $"layer {l}");
            Assert.Equal(((Switchyard.Nn.Layers.Linear)dense.Layers[l].SelfAttention.QProj).Weight.Value.ToArray(), ((Switchyard.Nn.Layers.Linear)uoe.Layers[l].SelfAttention.QProj).Weight.Value.ToArray());
        }
    }

    [Fact]
    public void DecomposeDense_WidthMismatch_ThrowsNamingTheLayer()
    {
        var dense = new DecoderModel(TinyConfigs.Create("llama"), new Rng(1), MoeFeedForward.Factory);
        var uoe = new DecoderModel(Uoe("{\"slices\": 4, \"slice_width\": 2}"), new Rng(2), MoeFeedForward.Factory);
        var e = Assert.Throws<InvalidConfigException>(() => ModelConversions.Apply(DenseDecomposition.Name, dense, uoe, null, new Rng(3)));
        Assert.Contains("layer 0", e.Message);
        Assert.Contains("width 8", e.Message);
    }

    [Theory]
    [InlineData("{\"slices\": 0}", "block_options.slices")]
    [InlineData("{\"heads\": 2}", "block_options.heads")]
    [InlineData("{\"heads_k\": 3}", "block_options.heads_k")]
    [InlineData("{\"heads_aux_alpha\": -1}", "block_options.heads_aux_alpha")]
    public void Create_BadOption_NamesTheFieldAndListsTheOptions(string options, string field)
    {
        var e = Assert.Throws<InvalidConfigException>(() => new DecoderModel(Uoe(options), new Rng(1), MoeFeedForward.Factory));
        Assert.Contains(field, e.Message);
        Assert.Contains("slice_width", e.Message);
    }

    [Fact]
    public void SelectiveHeads_AllHeadsUniformRouter_EqualsPlainAttention()
    {
        // Given the same weights with and without head selection
        var plain = new DecoderModel(Uoe(), new Rng(5), MoeFeedForward.Factory);
        var selective = new DecoderModel(Uoe("{\"slices\": 4, \"slice_width\": 3, \"heads_k\": 2}"), new Rng(5), MoeFeedForward.Factory);
        ModelConversions.CopyByName(plain, selective, null, new Rng(0));
        var named = selective.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);

        // When the head gates are uniform (weight 0: every head gets probability ½, gate k·½ = 1)
        named["model.layers.0.self_attn.head_gate.weight"].Value.Span.Clear();
        named["model.layers.1.self_attn.head_gate.weight"].Value.Span.Clear();
        int[] ids = [1, 2, 3, 4, 5, 6, 7];

        // Then the output is plain attention's
        float[] a = Logits(plain, ids), b = Logits(selective, ids);
        Assert.True(a.Zip(b).Max(p => Math.Abs(p.First - p.Second)) < 1e-5f);
    }

    [Fact]
    public void SelectiveHeads_OneHeadPerToken_IsCausalAndTrainsTheHeadGate()
    {
        // Given one head of two per token
        var model = new DecoderModel(Uoe("{\"slices\": 4, \"slice_width\": 3, \"heads_k\": 1}"), new Rng(6), MoeFeedForward.Factory) { Training = true };
        int[] ids = [1, 2, 3, 4, 5, 6, 7, 8];
        int[] other = (int[])ids.Clone();
        other[6] = 0;

        // When a later token changes, earlier logits do not
        float[] a = Logits(model, ids), b = Logits(model, other);
        Assert.Equal(a[..(6 * 11)], b[..(6 * 11)]);
        var plan = model.Layers[0].SelfAttention.HeadPlan;
        Assert.Equal(ids.Length, plan.Count); // one (token, head) slot per token

        // And a loss reaches the head gate and o_proj through the selected heads
        var tape = new Tape(1 << 14);
        tape.Backward(model.Loss(tape, ids, [2, 3, 4, 5, 6, 7, 8, 9], 1, ids.Length));
        var named = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.Contains(named["model.layers.0.self_attn.head_gate.weight"].Grad.Span.ToArray(), v => v != 0);
        Assert.Contains(named["model.layers.0.self_attn.o_proj.weight"].Grad.Span.ToArray(), v => v != 0);
        Assert.Contains(named["model.layers.0.block_sparse_moe.experts.down_proj.weight"].Grad.Span.ToArray(), v => v != 0);
    }

    [Fact]
    public void HeadProjection_Backward_MatchesFloat64CentralDifferences()
    {
        // Given 3 heads of width 2 projecting to 4, and a plan of (token, head) slots
        const int heads = 3, dim = 2, outF = 4;
        var plan = new RoutingPlan();
        plan.Begin(3, heads);
        int[][] choice = [[0, 2], [2], [0]];
        for (int i = 0; i < 3; i++) foreach (int h in choice[i]) plan.Add(i, h, 1f);
        plan.Finish();
        var rng = new Rng(7);
        float[] rowsF = Rand.Floats(rng, plan.Count * dim), wF = Rand.Floats(rng, outF * heads * dim);
        double[] up = Rand.Doubles(rng, plan.Count * outF);
        var tape = new Tape(4096);
        var rowsT = new Tensor(new Shape(plan.Count, dim)); rowsF.CopyTo(rowsT.Span);
        var wT = new Tensor(new Shape(outF, heads * dim)); wF.CopyTo(wT.Span);
        var upT = new Tensor(new Shape(plan.Count, outF)); Rand.ToFloat(up).CopyTo(upT.Span);
        Var rows = tape.Variable(rowsT), w = tape.Variable(wT);
        tape.Backward(tape.Sum(tape.Mul(HeadProjection.Apply(tape, rows, w, plan), tape.Constant(upT))));

        double Loss(double[] r, double[] ww)
        {
            double s = 0;
            for (int j = 0; j < plan.Count; j++)
                for (int o = 0; o < outF; o++)
                    for (int c = 0; c < dim; c++) s += up[j * outF + o] * ww[o * heads * dim + plan.Expert[j] * dim + c] * r[j * dim + c];
            return s;
        }
        double[] rd = Rand.ToDouble(rowsF), wd = Rand.ToDouble(wF);
        GradCheck.AssertClose(GradCheck.Numeric(v => Loss(v, wd), rd), Rand.ToDouble(rows.Grad.Span), 1e-5, "d rows");
        GradCheck.AssertClose(GradCheck.Numeric(v => Loss(rd, v), wd), Rand.ToDouble(w.Grad.Span), 1e-5, "d o_proj");
        // Head 1 was selected by no token: its W_O columns got no gradient
        for (int o = 0; o < outF; o++) Assert.All(w.Grad.Span.Slice(o * heads * dim + dim, dim).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void InferenceEngine_RefusesUoeModels()
    {
        var model = new DecoderModel(Uoe(), new Rng(1), MoeFeedForward.Factory);
        Assert.Throws<NotSupportedException>(() => InferenceModel.FromModel(model));
        using var dir = new TempDirectory();
        model.SavePretrained(dir.Path);
        var e = Assert.Throws<InvalidConfigException>(() => InferenceModel.Load(dir.Path));
        Assert.Contains("switchyard.block", e.Message);
    }

    [Fact]
    public void Trainer_ReportsTheSliceRouter_AsARoutedLayer()
    {
        var model = new DecoderModel(Uoe(), new Rng(1), MoeFeedForward.Factory);
        var block = Assert.IsType<UoeFeedForward>(model.Layers[0].FeedForward);
        Assert.Same(block.Layer, Assert.Single(block.RoutedLayers));
        Assert.Contains(model.NamedParameters(), p => p.Name == "model.layers.0.block_sparse_moe.experts.gate_proj.weight" && p.Parameter.Shape == new Shape(12, 8));
    }
}
