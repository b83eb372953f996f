using Switchyard.Formats;
using Switchyard.Inference;
using Switchyard.Models;
using Switchyard.Nn;
using Switchyard.Routing;
using Switchyard.Tests.Inference.Offload;
using Switchyard.Tests.TestSupport;
using static Switchyard.Tests.Inference.InferenceTestModels;

namespace Switchyard.Tests.Inference;

public sealed class InferenceModelTests
{
    public static TheoryData<string> All => Variants;

    [Theory, MemberData(nameof(All))]
    public void Prefill_EveryArchitecture_MatchesDecoderModelLogits(string variant)
    {
        var model = Create(variant);
        float[] expected = ReferenceLogits(model, Ids);
        using var im = InferenceModel.FromModel(model);
        var logits = new float[Ids.Length * im.VocabSize];
        im.Forward(Ids, im.CreateCache(), logits);
        AssertClose(expected, logits, 1e-4);
    }

    [Theory, MemberData(nameof(All))]
    public void DecodeTokenByToken_EveryArchitecture_MatchesOnePrefill(string variant)
    {
        using var im = InferenceModel.FromModel(Create(variant));
        int v = im.VocabSize;
        var whole = new float[Ids.Length * v];
        im.Forward(Ids, im.CreateCache(), whole);
        var cache = im.CreateCache();
        var row = new float[v];
        for (int t = 0; t < Ids.Length; t++)
        {
            im.Forward(Ids.AsSpan(t, 1), cache, row);
            AssertClose(whole.AsSpan(t * v, v), row, 1e-5);
        }
        Assert.Equal(Ids.Length, cache.Length);
    }

    [Theory]
    [InlineData("qwen2_moe"), InlineData("granite")]
    public void Prefill_InChunks_MatchesOnePass(string variant)
    {
        var model = Create(variant);
        using var whole = InferenceModel.FromModel(model);
        using var chunked = InferenceModel.FromModel(model, new InferenceOptions { PrefillChunk = 4 });
        var a = new float[Ids.Length * whole.VocabSize];
        var b = new float[a.Length];
        whole.Forward(Ids, whole.CreateCache(), a);
        chunked.Forward(Ids, chunked.CreateCache(), b);
        AssertClose(a, b, 1e-5);
        // Last row only
        var last = new float[whole.VocabSize];
        chunked.Forward(Ids, chunked.CreateCache(), last);
        AssertClose(a.AsSpan(a.Length - last.Length), last, 1e-5);
    }

    [Theory, MemberData(nameof(All))]
    public void Load_SavedHuggingFaceFolder_EqualsBuiltFromModel(string variant)
    {
        var model = Create(variant);
        using var dir = new TempDirectory();
        model.SavePretrained(dir.Path);
        using var built = InferenceModel.FromModel(model);
        using var loaded = InferenceModel.Load(dir.Path);
        var a = new float[Ids.Length * built.VocabSize];
        var b = new float[a.Length];
        built.Forward(Ids, built.CreateCache(), a);
        loaded.Forward(Ids, loaded.CreateCache(), b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Load_ShardedBf16Checkpoint_MatchesModelWithinBf16Rounding()
    {
        // Given the model's tensors written as bf16 shards with an index
        var model = Create("qwen3_moe");
        using var dir = new TempDirectory();
        model.Config.Save(dir.File("config.json"));
        var entries = model.NamedParameters().Select(p => SafeTensorEntry.From(p.Name, p.Parameter.Value, TensorDType.BF16)).ToList();
        SafeTensors.WriteSharded(dir.Path, entries, maxShardBytes: 512);
        Assert.True(File.Exists(dir.File("model.safetensors.index.json")));

        // When loaded, then the logits are those of the model with bf16-rounded weights
        foreach (var (_, p) in model.NamedParameters())
        {
            var bits = new ushort[p.Value.Length];
            Switchyard.Tensors.LowPrecision.ToBFloat16(p.Value.Span, bits);
            Switchyard.Tensors.LowPrecision.FromBFloat16(bits, p.Value.Span);
        }
        float[] expected = ReferenceLogits(model, Ids);
        using var loaded = InferenceModel.Load(dir.Path);
        Assert.Equal(Switchyard.Tensors.GgmlType.BF16, loaded.Embedding.Type); // used as stored, not widened
        Assert.Equal(Switchyard.Tensors.GgmlType.BF16, loaded.ExpertLocations(0)![1].Down.Type);
        var logits = new float[Ids.Length * loaded.VocabSize];
        loaded.Forward(Ids, loaded.CreateCache(), logits);
        AssertClose(expected, logits, 1e-4);
    }

    [Fact]
    public void Load_GraniteMoeFusedHuggingFaceLayout_MatchesModel()
    {
        // Given a Granite-MoE checkpoint in transformers' layout: router.layer, fused input_linear/output_linear
        var model = Create("granitemoe");
        var config = model.Config;
        int e = config.NumExperts, f = config.ExpertIntermediateSize, d = config.HiddenSize;
        var named = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Value);
        var entries = new List<SafeTensorEntry>();
        foreach (var (name, t) in named)
            if (!name.Contains(".experts.", StringComparison.Ordinal) && !name.EndsWith("block_sparse_moe.gate.weight", StringComparison.Ordinal))
                entries.Add(SafeTensorEntry.From(name, t));
        for (int l = 0; l < config.NumHiddenLayers; l++)
        {
            string b = $"model.layers.{l}.block_sparse_moe.";
            entries.Add(new SafeTensorEntry(b + "router.layer.weight", new(e, d), TensorDType.F32, named[b + "gate.weight"].ToArray()));
            var input = new List<float>();
            var output = new List<float>();
            for (int x = 0; x < e; x++)
            {
                input.AddRange(named[$"{b}experts.{x}.gate_proj.weight"].ToArray());
                input.AddRange(named[$"{b}experts.{x}.up_proj.weight"].ToArray());
                output.AddRange(named[$"{b}experts.{x}.down_proj.weight"].ToArray());
            }
            entries.Add(new SafeTensorEntry(b + "input_linear.weight", new(e, 2 * f, d), TensorDType.F32, input.ToArray()));
            entries.Add(new SafeTensorEntry(b + "output_linear.weight", new(e, d, f), TensorDType.F32, output.ToArray()));
        }
        using var dir = new TempDirectory();
        config.Save(dir.File("config.json"));
        SafeTensors.Write(dir.File("model.safetensors"), entries);

        // When loaded, then it computes the model's logits and locates each expert's slices in the file
        using var loaded = InferenceModel.Load(dir.Path);
        var logits = new float[Ids.Length * loaded.VocabSize];
        loaded.Forward(Ids, loaded.CreateCache(), logits);
        AssertClose(ReferenceLogits(model, Ids), logits, 1e-4);
        var at = loaded.ExpertLocations(1)![2];
        Assert.Equal(named["model.layers.1.block_sparse_moe.experts.2.up_proj.weight"].ToArray(), ReadFloats(at.Up));
        Assert.Equal(named["model.layers.1.block_sparse_moe.experts.2.down_proj.weight"].ToArray(), ReadFloats(at.Down));
    }

    [Theory, MemberData(nameof(All))]
    public void Load_GgufExport_MatchesDecoderModelLogits(string variant)
    {
        // llama/mixtral/granite files hold permuted q/k rows: equal logits mean interleaved RoPE undid it.
        var model = Create(variant);
        using var dir = new TempDirectory();
        GgufCheckpoint.Export(model, dir.File("model.gguf"));
        using var loaded = InferenceModel.Load(dir.File("model.gguf"));
        var logits = new float[Ids.Length * loaded.VocabSize];
        loaded.Forward(Ids, loaded.CreateCache(), logits);
        AssertClose(ReferenceLogits(model, Ids), logits, 1e-4);
    }

    [Fact]
    public void Load_GgufQ8_0_UsesQuantizedWeightsInPlace()
    {
        // Rows of 32 values: whole Q8_0 blocks everywhere (narrower rows fall back to F16 in the export).
        var model = Create(Config("qwen3_moe") with { HiddenSize = 32, HeadDim = 16, IntermediateSize = 32, MoeIntermediateSize = 32 });
        using var dir = new TempDirectory();
        string path = dir.File("model.gguf");
        GgufCheckpoint.Export(model, path, Switchyard.Tensors.GgmlType.Q8_0);
        using var loaded = InferenceModel.Load(path);
        Assert.Equal(Switchyard.Tensors.GgmlType.Q8_0, loaded.ExpertLocations(0)![2].Gate.Type);
        // Same weights as the file's dequantized model, activations rounded to 8 bits per block: close, not equal.
        float[] expected = ReferenceLogits(GgufCheckpoint.Load(path), Ids);
        var logits = new float[Ids.Length * loaded.VocabSize];
        loaded.Forward(Ids, loaded.CreateCache(), logits);
        double err = 0, norm = 0;
        for (int i = 0; i < logits.Length; i++) { err += Math.Pow(logits[i] - expected[i], 2); norm += Math.Pow(expected[i], 2); }
        Assert.InRange(Math.Sqrt(err / norm), 0, 0.02);
    }

    [Fact]
    public void ExpertLocations_GgufMixtral_AreSlicesOfTheStackedTensors()
    {
        var model = Create("mixtral");
        using var dir = new TempDirectory();
        GgufCheckpoint.Export(model, dir.File("m.gguf"));
        using var loaded = InferenceModel.Load(dir.File("m.gguf"));
        var named = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Value);
        var at = loaded.ExpertLocations(1)![3];
        Assert.Equal(named["model.layers.1.block_sparse_moe.experts.3.w1.weight"].ToArray(), ReadFloats(at.Gate));
        Assert.Equal(named["model.layers.1.block_sparse_moe.experts.3.w3.weight"].ToArray(), ReadFloats(at.Up));
        Assert.Equal(named["model.layers.1.block_sparse_moe.experts.3.w2.weight"].ToArray(), ReadFloats(at.Down));
    }

    [Fact]
    public void ExpertLocations_LoadedMixtral_PointAtEachExpertsBytes()
    {
        var model = Create("mixtral");
        using var dir = new TempDirectory();
        model.SavePretrained(dir.Path);
        using var loaded = InferenceModel.Load(dir.Path);
        var at = loaded.ExpertLocations(0)![3];
        Assert.Equal(Switchyard.Tensors.GgmlType.F32, at.Gate.Type);
        Assert.Equal((12, 8), (at.Gate.Rows, at.Gate.Cols)); // Mixtral experts are intermediate_size wide
        var named = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Value);
        Assert.Equal(named["model.layers.0.block_sparse_moe.experts.3.w1.weight"].ToArray(), ReadFloats(at.Gate));
        Assert.Equal(named["model.layers.0.block_sparse_moe.experts.3.w3.weight"].ToArray(), ReadFloats(at.Up));
        Assert.Equal(named["model.layers.0.block_sparse_moe.experts.3.w2.weight"].ToArray(), ReadFloats(at.Down));
        using var built = InferenceModel.FromModel(model);
        Assert.Null(built.ExpertLocations(0));
        Assert.Null(built.ExpertLocations(1)); // in memory: nothing to stream from
    }

    [Theory]
    [InlineData("mixtral")]
    [InlineData("qwen2_moe")]
    [InlineData("olmoe")]
    public void ExpertLocations_SafeTensorsPerExpertNames_PointAtEachTensor(string modelType)
    {
        // (Moved from the offload tests: the engine's loader is the one place that locates experts.)
        using var dir = new TempDirectory();
        ModelConfig config = OffloadCheckpoint.Write(dir.Path, modelType, TensorDType.BF16);
        var table = OffloadCheckpoint.Locations(dir.Path);
        Assert.Equal(2, table.Length);
        using var index = SafeTensorsIndex.OpenCheckpoint(dir.Path);
        MoeTensorNames n = config.MoeNames;
        for (int l = 0; l < 2; l++)
        for (int e = 0; e < 4; e++)
        {
            ExpertLocation x = table[l]![e];
            TensorInfo down = index.GetInfo(n.ExpertWeight(l, e, n.DownProj));
            Assert.Equal((down.FileOffset, down.ByteLength, Switchyard.Tensors.GgmlType.BF16, 8, config.ExpertIntermediateSize),
                (x.Down.Offset, x.Down.ByteLength, x.Down.Type, x.Down.Rows, x.Down.Cols));
            Assert.Equal(index.GetInfo(n.ExpertWeight(l, e, n.GateProj)).FileOffset, x.Gate.Offset);
            Assert.Equal(index.GetInfo(n.ExpertWeight(l, e, n.UpProj)).FileOffset, x.Up.Offset);
            Assert.Equal(Path.GetFullPath(dir.File("model.safetensors")), Path.GetFullPath(x.Gate.FilePath));
        }
    }

    [Fact]
    public void ExpertLocations_DenseLayer_IsNull()
    {
        using var dir = new TempDirectory();
        OffloadCheckpoint.Write(dir.Path, edit: c => c with { MlpOnlyLayers = [0] });
        var table = OffloadCheckpoint.Locations(dir.Path);
        Assert.Null(table[0]);
        Assert.Equal(4, table[1]!.Length);
    }

    static float[] ReadFloats(TensorLocation at)
    {
        var bytes = new byte[at.ByteLength];
        using var file = File.OpenHandle(at.FilePath);
        RandomAccess.Read(file, bytes, at.Offset);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    [Fact]
    public void FromModel_SharesWeights_SeesLaterChanges()
    {
        var model = Create("llama");
        using var im = InferenceModel.FromModel(model);
        var before = new float[im.VocabSize];
        im.Forward(Ids, im.CreateCache(), before);
        model.LmHead.Weight.Value.Span.Clear();
        var after = new float[im.VocabSize];
        im.Forward(Ids, im.CreateCache(), after);
        Assert.NotEqual(before, after);
        Assert.All(after, x => Assert.Equal(0f, x));
    }

    [Fact]
    public void SetRouter_TopKWithOtherK_ChangesExpertsPerToken()
    {
        using var im = InferenceModel.FromModel(Create("qwen3_moe"));
        var logits = new float[Ids.Length * im.VocabSize];
        int ExpertsPerToken()
        {
            im.Forward(Ids, im.CreateCache(), logits);
            var plan = im.LastPlan(1)!;
            int k = plan.ExpertsOf(0);
            for (int t = 0; t < plan.Items; t++) Assert.Equal(k, plan.ExpertsOf(t));
            return k;
        }

        Assert.Equal(2, ExpertsPerToken());
        float[] k2 = (float[])logits.Clone();
        im.SetRouter("top-k", ["k=3"]);
        Assert.Equal(3, ExpertsPerToken());
        Assert.NotEqual(k2, logits);
        im.SetRouter("top-k", ["k=1"]);
        Assert.Equal(1, ExpertsPerToken());
        im.SetRouter("top-k");
        Assert.Equal(2, ExpertsPerToken()); // k from num_experts_per_tok
        im.ResetRouter();
        Assert.Equal(2, ExpertsPerToken());
        Assert.Equal(k2, logits);
    }

    [Fact]
    public void SetRouter_NonCausalOrUnknown_ThrowsAndKeepsRouter()
    {
        using var im = InferenceModel.FromModel(Create("mixtral"));
        var before = im.LayerRouter(0);
        Assert.Throws<InvalidRouterOptionException>(() => im.SetRouter("expert-choice"));
        Assert.Throws<Switchyard.Routing.UnknownRouterException>(() => im.SetRouter("no-such-router"));
        Assert.Throws<InvalidRouterOptionException>(() => im.SetRouter("top-k", ["k=9"]));
        Assert.Same(before, im.LayerRouter(0));
    }

    [Fact]
    public void SetRouter_ScorerWithOwnParameters_IsRefusedRatherThanRunWithFreshWeights()
    {
        using var im = InferenceModel.FromModel(Create("mixtral"));
        var before = im.LayerRouter(0);
        var e = Assert.Throws<InvalidRouterOptionException>(() => im.SetRouter("rmoe"));
        Assert.Contains("trained parameters", e.Message);
        Assert.Same(before, im.LayerRouter(0));
    }

    [Fact]
    public void ExpertSource_Custom_IsAskedOnlyForRoutedExperts()
    {
        using var im = InferenceModel.FromModel(Create("mixtral"));
        var counting = new CountingSource(im.ResidentExperts);
        im.ExpertSource = counting;
        var logits = new float[im.VocabSize];
        im.Forward(Ids.AsSpan(0, 1), im.CreateCache(), logits);
        // One token, k = 2, two MoE layers: four experts fetched, those of the plan.
        Assert.Equal(4, counting.Calls.Count);
        for (int l = 0; l < 2; l++)
        {
            var plan = im.LastPlan(l)!;
            Assert.Equal(plan.Expert.ToArray(), counting.Calls.Where(c => c.Layer == l).Select(c => c.Expert).ToArray());
        }
    }

    sealed class CountingSource(IExpertWeightSource inner) : IExpertWeightSource
    {
        public List<(int Layer, int Expert)> Calls { get; } = [];

        public ExpertWeights Get(int layer, int expert)
        {
            Calls.Add((layer, expert));
            return inner.Get(layer, expert);
        }
    }

    [Theory]
    [InlineData("qwen2_moe"), InlineData("olmoe-clip"), InlineData("granite")]
    public void DecodeStep_Warm_AllocatesNothing(string variant)
    {
        using var im = InferenceModel.FromModel(Create(variant));
        var cache = im.CreateCache();
        var logits = new float[im.VocabSize];
        int[] one = [3];
        im.Forward(Ids, cache, logits);
        for (int i = 0; i < 3; i++) im.Forward(one, cache, logits); // warm-up: plans, tape, per-thread scratch
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 5; i++) im.Forward(one, cache, logits);
        }, repeats: 1));
    }

    [Fact]
    public void Forward_BadArguments_Throw()
    {
        using var im = InferenceModel.FromModel(Create("llama"), new InferenceOptions { MaxContext = 8 });
        var cache = im.CreateCache();
        Assert.Throws<ArgumentException>(() => im.Forward([], cache, new float[im.VocabSize]));
        Assert.Throws<ArgumentException>(() => im.Forward([1, 2], cache, new float[5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => im.Forward([11], cache, new float[im.VocabSize]));
        Assert.Throws<InvalidOperationException>(() => im.Forward(Ids, cache, new float[im.VocabSize])); // 9 > 8 positions
        Assert.Equal(0, cache.Length);
    }

    [Fact]
    public void Load_BadPaths_ThrowOneClearError()
    {
        using var dir = new TempDirectory();
        var missing = Assert.Throws<ModelNotFoundException>(() => InferenceModel.Load(dir.File("nope")));
        Assert.Contains("no such folder", missing.Message);
        var noConfig = Assert.Throws<ModelNotFoundException>(() => InferenceModel.Load(dir.Path));
        Assert.Contains("no config.json", noConfig.Message);
        Create("llama").Config.Save(dir.File("config.json"));
        var noWeights = Assert.Throws<ModelNotFoundException>(() => InferenceModel.Load(dir.Path));
        Assert.Contains("model.safetensors", noWeights.Message);
        File.WriteAllText(dir.File("x.gguf"), "");
        Assert.Contains("x.gguf", Assert.ThrowsAny<SwitchyardException>(() => InferenceModel.Load(dir.File("x.gguf"))).Message);
        File.WriteAllText(dir.File("x.bin"), "");
        Assert.Contains("is a file", Assert.Throws<ModelNotFoundException>(() => InferenceModel.Load(dir.File("x.bin"))).Message);
    }

    [Fact]
    public void Load_WrongShapes_NamesEveryTensor()
    {
        using var dir = new TempDirectory();
        Create("llama").Save(dir.File("model.safetensors"));
        (Create("llama").Config with { IntermediateSize = 16 }).Save(dir.File("config.json"));
        var e = Assert.Throws<CheckpointMismatchException>(() => InferenceModel.Load(dir.Path));
        Assert.Contains("model.layers.0.mlp.gate_proj.weight", e.Message);
        Assert.Contains("model.layers.1.mlp.down_proj.weight", e.Message);
    }
}
