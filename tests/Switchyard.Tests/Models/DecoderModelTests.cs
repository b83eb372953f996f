using Switchyard.Autograd;
using Switchyard.Models;
using Switchyard.Nn;
using Switchyard.Nn.Layers;
using Switchyard.Nn.Optim;
using Switchyard.Tensors;
using Switchyard.Tests.Formats;
using Switchyard.Tests.Nn;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Models;

public sealed class DecoderModelTests
{
    const int Batch = 2, Seq = 3;
    static readonly int[] Ids = [1, 4, 7, 10, 0, 3];
    static readonly int[] Targets = [4, 7, 2, 0, 3, 9];

    [Fact]
    public void NamedParameters_TinyLlama_AreHuggingFaceNames()
    {
        var names = new DecoderModel(TinyConfigs.Create("llama"), new Rng(1)).NamedParameters().Select(p => p.Name).ToArray();
        string[] layer(int i) =>
        [
            $"model.layers.{i}.input_layernorm.weight",
            $"model.layers.{i}.self_attn.q_proj.weight", $"model.layers.{i}.self_attn.k_proj.weight",
            $"model.layers.{i}.self_attn.v_proj.weight", $"model.layers.{i}.self_attn.o_proj.weight",
            $"model.layers.{i}.post_attention_layernorm.weight",
            $"model.layers.{i}.mlp.gate_proj.weight", $"model.layers.{i}.mlp.up_proj.weight", $"model.layers.{i}.mlp.down_proj.weight",
        ];
        Assert.Equal(["model.embed_tokens.weight", .. layer(0), .. layer(1), "model.norm.weight", "lm_head.weight"], names);
    }

    [Fact]
    public void NamedParameters_Qwen2AndOlmoe_HaveBiasesAndNormsOfTheirShapes()
    {
        var qwen2 = new DecoderModel(TinyConfigs.Create("qwen2"), new Rng(1)).NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.Equal(new Shape(8), qwen2["model.layers.0.self_attn.q_proj.bias"].Shape);
        Assert.Equal(new Shape(4), qwen2["model.layers.0.self_attn.k_proj.bias"].Shape);
        Assert.False(qwen2.ContainsKey("model.layers.0.self_attn.o_proj.bias"));
        var olmoe = new DecoderModel(TinyConfigs.Create("olmoe") with { NumExperts = 0 }, new Rng(1)).NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.Equal(new Shape(8), olmoe["model.layers.1.self_attn.q_norm.weight"].Shape); // heads·head_dim
        Assert.Equal(new Shape(4), olmoe["model.layers.1.self_attn.k_norm.weight"].Shape); // kv_heads·head_dim
        var qwen3 = new DecoderModel(TinyConfigs.Create("qwen3"), new Rng(1)).NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.Equal(new Shape(4), qwen3["model.layers.0.self_attn.q_norm.weight"].Shape); // head_dim
    }

    [Fact]
    public void TiedEmbeddings_ShareOneParameter_AndSaveNoLmHead()
    {
        var model = new DecoderModel(TinyConfigs.Create("qwen3") with { TieWordEmbeddings = true }, new Rng(1));
        Assert.Same(model.Model.EmbedTokens.Weight, model.LmHead.Weight);
        Assert.True(model.LmHead.Tied);
        var names = model.NamedParameters().Select(p => p.Name).ToList();
        Assert.DoesNotContain("lm_head.weight", names);
        Assert.Equal(model.Parameters().Count, names.Count);
    }

    [Fact]
    public void Constructor_SameSeed_BuildsIdenticalWeights()
    {
        var a = new DecoderModel(TinyConfigs.Create("qwen2"), new Rng(9)).Parameters();
        var b = new DecoderModel(TinyConfigs.Create("qwen2"), new Rng(9)).Parameters();
        for (int i = 0; i < a.Count; i++) Assert.Equal(a[i].Value.ToArray(), b[i].Value.ToArray());
    }

    [Fact]
    public void LoraWrap_AttentionAndMlpProjections_KeepsOutputAndPeftNames()
    {
        // Given a model and its logits
        var model = new DecoderModel(TinyConfigs.Create("llama"), new Rng(3));
        var tape = new Tape(1 << 14);
        float[] before = model.Forward(tape, Ids, Batch, Seq).Value.ToArray();
        tape.Reset();
        // When projections are LoRA-wrapped (B = 0 at creation)
        LoraLinear.Wrap(model.Layers[0].SelfAttention, "q_proj", rank: 2, alpha: 4, new Rng(1));
        LoraLinear.Wrap(model.Layers[1].FeedForward, "down_proj", rank: 2, alpha: 4, new Rng(1));
        // Then the output is unchanged and the names are PEFT's
        Assert.Equal(before, model.Forward(tape, Ids, Batch, Seq).Value.ToArray());
        var names = model.NamedParameters().Select(p => p.Name).ToList();
        Assert.Contains("model.layers.0.self_attn.q_proj.lora_A.weight", names);
        Assert.Contains("model.layers.1.mlp.down_proj.base_layer.weight", names);
    }

    [Fact]
    public void Factory_BlockOfWrongWidth_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new DecoderModel(TinyConfigs.Create("llama"), new Rng(1),
            (l, c, r) => new DenseFeedForward(c.HiddenSize + 1, 4, r)));
        Assert.Contains("hidden_size", e.Message);
    }

    [Fact]
    public void Forward_TinyModel_ReturnsLogitsPerToken()
    {
        var model = new DecoderModel(TinyConfigs.Create("llama"), new Rng(3));
        var tape = new Tape(1 << 14);
        Var logits = model.Forward(tape, Ids, Batch, Seq);
        Assert.Equal(new Shape(Batch * Seq, 11), logits.Shape);
        Assert.All(logits.Value.ToArray(), v => Assert.True(float.IsFinite(v)));
        Assert.Throws<ArgumentException>(() => model.Forward(tape, Ids.AsSpan(0, 5), Batch, Seq));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(tape, [0, 1, 2, 3, 4, 11], Batch, Seq));
    }

    public static TheoryData<string> GradientVariants => ["llama", "qwen2", "qwen3-tied", "olmoe-clip", "granite"];

    static ModelConfig Variant(string name) => name switch
    {
        // Large initial weights so every path carries a gradient well above float32 noise.
        "qwen3-tied" => TinyConfigs.Create("qwen3", 0.3) with { TieWordEmbeddings = true },
        // A clip that bites: many q/k/v entries exceed ±0.5 at this init.
        "olmoe-clip" => TinyConfigs.Create("olmoe", 0.3) with { NumExperts = 0, NumExpertsPerTok = 0, ClipQkv = 0.5 },
        "granite" => TinyConfigs.Create("granite", 0.3) with
        {
            AttentionBias = true, EmbeddingMultiplier = 3, ResidualMultiplier = 0.5, AttentionMultiplier = 0.3, LogitsScaling = 2,
        },
        _ => TinyConfigs.Create(name, 0.3),
    };

    [Theory, MemberData(nameof(GradientVariants))]
    public void Loss_TinyModel_MatchesFloat64ReferenceAndCentralDifferences(string variant)
    {
        // Given a tiny model with non-trivial norms and biases
        var config = Variant(variant);
        var model = new DecoderModel(config, new Rng(11));
        var rng = new Rng(5);
        foreach (var (name, p) in model.NamedParameters())
            if (name.EndsWith("norm.weight", StringComparison.Ordinal) || name.EndsWith(".bias", StringComparison.Ordinal))
                for (int i = 0; i < p.Value.Length; i++) p.Value.Span[i] += 0.2f * (rng.NextFloat() - 0.5f);
        var values = model.NamedParameters().ToDictionary(p => p.Name, p => Rand.ToDouble(p.Parameter.Value.Span));

        // When the loss is computed and differentiated on the tape
        var tape = new Tape(1 << 14);
        Var logits = model.Forward(tape, Ids, Batch, Seq);
        float[] got = logits.Value.ToArray();
        tape.Reset();
        Var loss = model.Loss(tape, Ids, Targets, Batch, Seq);
        tape.Backward(loss);

        // Then the logits and loss match the double reference
        double[] expected = DecoderReference.Logits(config, values, Ids, Batch, Seq);
        GradCheck.AssertClose(expected, Rand.ToDouble(got), 1e-5, "logits");
        double Loss() => NnReference.CrossEntropy(DecoderReference.Logits(config, values, Ids, Batch, Seq), Targets, Batch * Seq, config.VocabSize);
        Assert.Equal(Loss(), loss.Value[0], 1e-5);
        // and every parameter's gradient matches float64 central differences
        foreach (var (name, p) in model.NamedParameters())
        {
            double[] numeric = GradCheck.Numeric(v => { values[name] = v; return Loss(); }, values[name]);
            GradCheck.AssertClose(numeric, Rand.ToDouble(p.Grad.Span), 2e-4, $"d loss / d {name}");
        }
        tape.Reset();
    }

    [Fact]
    public void Loss_WithMask_EqualsLossWithIgnoredTargets()
    {
        var model = new DecoderModel(TinyConfigs.Create("llama"), new Rng(3));
        var tape = new Tape(1 << 14);
        float[] mask = [1, 0, 1, 1, 0, 1];
        int[] ignored = [.. Targets.Select((t, i) => mask[i] != 0 ? t : DecoderModel.IgnoreIndex)];
        float masked = model.Loss(tape, Ids, Targets, mask, Batch, Seq).Value[0];
        tape.Reset();
        float direct = model.Loss(tape, Ids, ignored, Batch, Seq).Value[0];
        Assert.Equal(direct, masked);
    }

    [Fact]
    public void PerTokenLoss_MeanOverCountedTokens_EqualsLoss()
    {
        var model = new DecoderModel(TinyConfigs.Create("llama"), new Rng(3));
        var tape = new Tape(1 << 14);
        int[] targets = [.. Targets];
        targets[2] = DecoderModel.IgnoreIndex;
        float mean = model.Loss(tape, Ids, targets, Batch, Seq).Value[0];
        tape.Reset();
        var perToken = new float[Batch * Seq];
        model.PerTokenLoss(tape, Ids, targets, Batch, Seq, perToken);
        Assert.Equal(0f, perToken[2]);
        Assert.Equal(mean, perToken.Sum() / 5, 1e-5);
    }

    // A stand-in for the Experts layer's block: a router-shaped child, an auxiliary loss, and a
    // record of the context it saw.
    sealed class FakeMoe : FeedForwardBlock
    {
        readonly DenseFeedForward _inner;
        public FakeMoe(ModelConfig c, Rng rng)
        {
            HiddenSize = c.HiddenSize;
            Gate = AddModule("gate", new Linear(c.HiddenSize, c.NumExperts, rng));
            _inner = AddModule("shared", new DenseFeedForward(c.HiddenSize, c.ExpertIntermediateSize, rng));
        }
        public override int HiddenSize { get; }
        public Linear Gate { get; }
        public int[] SeenIds = [];
        public int[] SeenPositions = [];
        public (int Layer, int Seq, int[] Tasks) SeenRouting;
        public override Var Forward(Tape tape, Var x, in LayerContext context)
        {
            SeenIds = context.TokenIds.ToArray();
            SeenPositions = context.Positions.ToArray();
            SeenRouting = (context.Routing.Layer, context.Routing.SequenceLength, context.Routing.TaskIds.ToArray());
            Var scores = Gate.Forward(tape, x);
            context.Losses.Add("z_loss", context.Layer, tape.Mean(tape.Mul(scores, scores)), 0.5f);
            return _inner.Forward(tape, x, context);
        }
    }

    sealed class Sink : ILayerStatsSink
    {
        public readonly List<(int Layer, FeedForwardBlock Block, int Rows)> Calls = [];
        public void OnFeedForward(int layer, FeedForwardBlock block, int rows) => Calls.Add((layer, block, rows));
    }

    [Fact]
    public void MoeConfig_WithoutMoeFactory_Throws()
    {
        var e = Assert.Throws<NotSupportedException>(() => new DecoderModel(TinyConfigs.Create("mixtral"), new Rng(1)));
        Assert.Contains("WithMoe", e.Message);
    }

    [Fact]
    public void MoeFactory_Mixtral_NamesBlockAndAddsAuxiliaryLosses()
    {
        // Given a Mixtral-shaped model whose layer 1 stays dense via the extension
        var config = TinyConfigs.Create("mixtral") with
        {
            Switchyard = new SwitchyardOptions { Layers = [new LayerOverride(1, FeedForwardKind.Dense)] },
        };
        var model = new DecoderModel(config, new Rng(1), FeedForwardBlocks.WithMoe((l, c, r) => new FakeMoe(c, r)));
        var names = model.NamedParameters().Select(p => p.Name).ToList();
        Assert.Contains("model.layers.0.block_sparse_moe.gate.weight", names);
        Assert.Contains("model.layers.1.mlp.gate_proj.weight", names);
        var sink = new Sink();
        model.StatsSink = sink;
        model.RoutingContext.TaskIds = new[] { 5, 5, 5, 6, 6, 6 };

        // When the loss is computed
        var tape = new Tape(1 << 14);
        Var loss = model.Loss(tape, Ids, Targets, Batch, Seq);
        float total = loss.Value[0];

        // Then it is the cross-entropy plus 0.5 × the reported loss
        Assert.Equal(1, model.AuxiliaryLosses.Count);
        var aux = model.AuxiliaryLosses.Items[0];
        Assert.Equal(("z_loss", 0), (aux.Name, aux.Layer));
        Assert.Equal(model.LastCrossEntropy + 0.5f * aux.Value, total, 1e-6);
        // the block saw the token ids and positions
        var block = (FakeMoe)model.Layers[0].FeedForward;
        Assert.Equal(Ids, block.SeenIds);
        Assert.Equal([0, 1, 2, 0, 1, 2], block.SeenPositions);
        Assert.Equal((0, Seq), (block.SeenRouting.Layer, block.SeenRouting.Seq));
        Assert.Equal([5, 5, 5, 6, 6, 6], block.SeenRouting.Tasks);
        // and the sink heard from both layers
        Assert.Equal([(0, 6), (1, 6)], sink.Calls.Select(c => (c.Layer, c.Rows)));
        Assert.Same(block, sink.Calls[0].Block);
        // and the router, which feeds only the auxiliary loss, gets its gradient through the total
        tape.Backward(loss);
        Assert.Contains(block.Gate.Weight.Grad.ToArray(), g => g != 0f);
    }

    // "0 1 0 2 0 3 …": the token after a 0 depends on the one before it, so the model must attend.
    static readonly int[] Pattern = [0, 1, 0, 2, 0, 3];
    const int TrainBatch = 2, TrainSeq = 12;

    sealed class Trainer
    {
        public readonly DecoderModel Model;
        public readonly Tape Tape = new(1 << 16);
        readonly AdamW _optimizer;
        readonly IReadOnlyList<Parameter> _params;
        public readonly int[] Ids = new int[TrainBatch * TrainSeq], Targets = new int[TrainBatch * TrainSeq];

        public Trainer(ModelConfig config)
        {
            Model = new DecoderModel(config, new Rng(42)) { Training = true };
            _optimizer = new AdamW(Model.NamedParameters(), learningRate: 1e-2f, beta2: 0.95f, weightDecay: 0.01f);
            _params = Model.Parameters();
            for (int b = 0; b < TrainBatch; b++)
                for (int s = 0; s < TrainSeq; s++)
                {
                    Ids[b * TrainSeq + s] = Pattern[(2 * b + s) % Pattern.Length];
                    Targets[b * TrainSeq + s] = Pattern[(2 * b + s + 1) % Pattern.Length];
                }
        }

        public float Step()
        {
            Var loss = Model.Loss(Tape, Ids, Targets, TrainBatch, TrainSeq);
            float value = loss.Value[0];
            Tape.Backward(loss);
            GradientClipping.ClipGlobalNorm(_params, 1.0);
            _optimizer.Step();
            _optimizer.ZeroGrad();
            Tape.Reset();
            return value;
        }
    }

    static ModelConfig TrainConfig() => TinyConfigs.Create("qwen3") with { VocabSize = 8, HiddenSize = 16, IntermediateSize = 32, NumAttentionHeads = 4, NumKeyValueHeads = 2 };

    [Fact]
    public void Train_RepeatedPattern_DrivesLossWellDown()
    {
        var t = new Trainer(TrainConfig());
        float first = t.Step(), last = first;
        for (int i = 1; i < 150; i++) last = t.Step();
        Assert.InRange(first, 1.9f, 2.3f); // ≈ ln 8 at init
        Assert.True(last < 0.1f, $"loss went from {first} to {last}");
    }

    [Fact]
    public void Step_SteadyState_AllocatesNothing()
    {
        var t = new Trainer(TinyConfigs.Create("granite") with { VocabSize = 8, TieWordEmbeddings = true, EmbeddingMultiplier = 2, ResidualMultiplier = 0.5, LogitsScaling = 2 });
        t.Step(); t.Step(); // warm-up: arena slabs, pooled Vars and nodes, lazily made gradients
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 3; i++) t.Step();
        }, repeats: 1));
    }

    [Fact]
    public void SaveLoad_TrainedModelAndConfig_ReproduceLogitsExactly()
    {
        // Given a model trained a few steps
        var t = new Trainer(TrainConfig() with { TieWordEmbeddings = true });
        for (int i = 0; i < 10; i++) t.Step();
        float[] expected = t.Model.Forward(t.Tape, t.Ids, TrainBatch, TrainSeq).Value.ToArray();
        t.Tape.Reset();
        using var dir = new TempDirectory();

        // When its config and weights are saved and loaded into a freshly built model
        t.Model.Config.Save(dir.File("config.json"));
        t.Model.Save(dir.File("model.safetensors"));
        var copy = new DecoderModel(ModelConfig.Load(dir.File("config.json")), new Rng(7));
        copy.Load(dir.File("model.safetensors"));

        // Then it computes the same logits bit for bit
        Assert.Equal(expected, copy.Forward(new Tape(1 << 16), t.Ids, TrainBatch, TrainSeq).Value.ToArray());
    }

    [Fact]
    public void FromPretrained_SavedFolder_ReproducesConfigAndLogits()
    {
        // Given a model saved as a transformers checkpoint folder
        var model = new DecoderModel(TinyConfigs.Create("granite") with { EmbeddingMultiplier = 2, TieWordEmbeddings = true }, new Rng(5));
        using var dir = new TempDirectory();
        model.SavePretrained(dir.Path);

        // When it is read back
        var copy = DecoderModel.FromPretrained(dir.Path);

        // Then config and logits are identical
        Assert.Equal(model.Config, copy.Config);
        var tape = new Tape(1 << 14);
        float[] expected = model.Forward(tape, Ids, Batch, Seq).Value.ToArray();
        tape.Reset();
        Assert.Equal(expected, copy.Forward(tape, Ids, Batch, Seq).Value.ToArray());
    }

    [Fact]
    public void LoadCheckpoint_TiedModelWithStoredLmHead_IgnoresIt()
    {
        // Some tied checkpoints store lm_head.weight anyway; transformers ignores it.
        var model = new DecoderModel(TinyConfigs.Create("qwen3") with { TieWordEmbeddings = true }, new Rng(5));
        using var dir = new TempDirectory();
        var untied = new DecoderModel(TinyConfigs.Create("qwen3"), new Rng(6));
        untied.Save(dir.File(DecoderModel.WeightsFileName));
        var result = model.LoadCheckpoint(dir.Path);
        Assert.Empty(result.Unexpected);
        Assert.Equal(untied.Model.EmbedTokens.Weight.Value.ToArray(), model.LmHead.Weight.Value.ToArray());
    }

    [Fact]
    public void LoadCheckpoint_WrongShapes_ThrowsNamingTensorAndLeavesModelUnchanged()
    {
        var model = new DecoderModel(TinyConfigs.Create("llama"), new Rng(5));
        float[] before = model.Model.EmbedTokens.Weight.Value.ToArray();
        using var dir = new TempDirectory();
        new DecoderModel(TinyConfigs.Create("llama") with { IntermediateSize = 16 }, new Rng(6)).Save(dir.File(DecoderModel.WeightsFileName));
        var e = Assert.Throws<CheckpointMismatchException>(() => model.LoadCheckpoint(dir.Path));
        Assert.Contains("model.layers.0.mlp.gate_proj.weight", e.Message);
        Assert.Equal(before, model.Model.EmbedTokens.Weight.Value.ToArray());
    }
}
