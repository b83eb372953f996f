using Switchyard.Autograd;
using Switchyard.Formats;
using Switchyard.Formats.Gguf;
using Switchyard.Models;
using Switchyard.Nn;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Models;

public sealed class GgufCheckpointTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    const int Batch = 2, Seq = 5;
    static readonly int[] Ids = [1, 4, 2, 9, 0, 3, 3, 10, 7, 5];

    public static TheoryData<string> Types => new(ArchitecturePresets.All.Select(p => p.ModelType));

    // Weights of std 0.3 rather than 0.02, so logits vary enough that a wrong permutation or slice shows.
    static DecoderModel Tiny(string type, ulong seed = 3) =>
        new(TinyConfigs.Create(type, initStd: 0.3), new Rng(seed), MoeFeedForward.Factory);

    // Width 32 and expert widths 32, so every 2-D weight has rows of whole Q8_0 blocks.
    static DecoderModel Wide(string type)
    {
        var c = TinyConfigs.Create(type, initStd: 0.1);
        c = c with
        {
            HiddenSize = 32, IntermediateSize = 32, HeadDim = 16,
            MoeIntermediateSize = c.MoeIntermediateSize is null ? null : 32,
            SharedExpertIntermediateSize = c.SharedExpertIntermediateSize is null ? null : 32,
        };
        return new DecoderModel(c, new Rng(4), MoeFeedForward.Factory);
    }

    static float[] Logits(DecoderModel model)
    {
        var tape = new Tape(1 << 16);
        using (tape.NoGrad()) return model.Forward(tape, Ids, Batch, Seq).Value.ToArray();
    }

    static double MaxAbsDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();

    static double MaxAbs(float[] a) => a.Max(x => Math.Abs((double)x));

    [Theory, MemberData(nameof(Types))]
    public void ExportF32_ThenLoad_SameConfigAndLogits(string type)
    {
        // Given a tiny model of the architecture with random weights
        var model = Tiny(type);
        string path = _dir.File($"{type}.gguf");

        // When it is exported to GGUF F32 and loaded back
        GgufCheckpoint.Export(model, path, GgmlType.F32);
        var copy = GgufCheckpoint.Load(path);

        // Then the configuration is the same and the logits agree within 1e-4
        Assert.Equal(model.Config, copy.Config);
        float[] expected = Logits(model), actual = Logits(copy);
        Assert.True(MaxAbsDiff(expected, actual) <= 1e-4, $"{type}: max |Δ| {MaxAbsDiff(expected, actual)}");
        using var f = GgufFile.Open(path);
        Assert.All(f.Tensors, t => Assert.Equal(GgmlType.F32, t.Type));
    }

    [Theory, MemberData(nameof(Types))]
    public void ExportF16_ThenLoad_LogitsWithinHalfPrecisionTolerance(string type)
    {
        var model = Tiny(type);
        string path = _dir.File($"{type}.f16.gguf");
        GgufCheckpoint.Export(model, path, GgmlType.F16);
        float[] expected = Logits(model), actual = Logits(GgufCheckpoint.Load(path));
        // f16 keeps 11 significant bits (relative rounding ≤ 2^-11 ≈ 4.9e-4 per weight); documented in docs/formats.md.
        double diff = MaxAbsDiff(expected, actual), bound = 5e-3 * MaxAbs(expected) + 1e-4;
        Assert.True(diff <= bound, $"{type}: max |Δ| {diff} > {bound}");
        using var f = GgufFile.Open(path);
        Assert.Equal(GgmlType.F16, f.GetTensor("blk.0.attn_q.weight").Type);
        Assert.Equal(GgmlType.F32, f.GetTensor("blk.0.attn_norm.weight").Type);
    }

    [Theory, MemberData(nameof(Types))]
    public void ExportQ8_0_ThenLoad_LogitsWithinQ8Tolerance(string type)
    {
        var model = Wide(type);
        string path = _dir.File($"{type}.q8.gguf");
        GgufCheckpoint.Export(model, path, GgmlType.Q8_0);
        float[] expected = Logits(model), actual = Logits(GgufCheckpoint.Load(path));
        // Q8_0 rounds each weight to 1/254 of its block's range (relative error ≲ 0.4 % of the block max); documented in docs/formats.md.
        double diff = MaxAbsDiff(expected, actual), bound = 3e-2 * MaxAbs(expected) + 1e-3;
        Assert.True(diff <= bound, $"{type}: max |Δ| {diff} > {bound}");
        using var f = GgufFile.Open(path);
        Assert.Equal(GgmlType.Q8_0, f.GetTensor("blk.0.attn_q.weight").Type);
        Assert.Equal(GgmlType.Q8_0, f.GetTensor("token_embd.weight").Type);
        Assert.Equal(GgmlType.F32, f.GetTensor("output_norm.weight").Type);
        if (model.Config.IsMoe)
        {
            Assert.Equal(GgmlType.F32, f.GetTensor("blk.0.ffn_gate_inp.weight").Type);
            Assert.Equal(GgmlType.Q8_0, f.GetTensor("blk.0.ffn_down_exps.weight").Type);
        }
    }

    [Theory, MemberData(nameof(Types))]
    public void ConfigToMetadata_ThenBack_WithoutEmbeddedJson_SameConfig(string type)
    {
        // Given a model exported with only the llama.cpp keys (as llama.cpp's converter would write it)
        var model = new DecoderModel(TinyConfigs.Create(type), new Rng(1), MoeFeedForward.Factory);
        string path = _dir.File($"{type}.keys.gguf");
        var w = new GgufWriter().AddMetadata(GgufModelConfig.ToMetadata(model.Config, includeConfigJson: false));
        GgufCheckpoint.Export(model, _dir.File("full.gguf"));
        using (var full = GgufFile.Open(_dir.File("full.gguf")))
        {
            foreach (var t in full.Tensors) w.AddTensor(t.Name, t.Dimensions, t.Type, full.GetBytes(t.Name).ToArray());
            w.Write(path);
        }
        // When the configuration is rebuilt from the keys, then it equals the original
        using var f = GgufFile.Open(path);
        Assert.False(f.Metadata.ContainsKey(GgufModelConfig.ConfigKey));
        Assert.Equal(model.Config.ToJson(), GgufModelConfig.FromGguf(f).ToJson());
        Assert.Equal(GgufTensorNames.Architecture(type), f.Metadata["general.architecture"].AsString());
    }

    [Fact]
    public void Metadata_Mixtral_IsLlamaWithExperts()
    {
        var meta = GgufModelConfig.ToMetadata(TinyConfigs.Create("mixtral")).ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("llama", meta["general.architecture"].AsString());
        Assert.Equal(4u, meta["llama.expert_count"].AsUInt32());
        Assert.Equal(2u, meta["llama.expert_used_count"].AsUInt32());
        Assert.Equal(12u, meta["llama.feed_forward_length"].AsUInt32());
        var qwen = GgufModelConfig.ToMetadata(TinyConfigs.Create("qwen2_moe")).ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(6u, qwen["qwen2moe.expert_feed_forward_length"].AsUInt32());
        Assert.Equal(10u, qwen["qwen2moe.expert_shared_feed_forward_length"].AsUInt32());
        var granite = GgufModelConfig.ToMetadata(TinyConfigs.Create("granitemoe") with { LogitsScaling = 8, EmbeddingMultiplier = 12 })
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(8f, granite["granitemoe.logit_scale"].AsFloat32());
        Assert.Equal(12f, granite["granitemoe.embedding_scale"].AsFloat32());
        Assert.Equal(7u, GgufModelConfig.ToMetadata(TinyConfigs.Create("llama"), fileType: GgmlType.Q8_0)
            .Single(kv => kv.Key == "general.file_type").Value.AsUInt32());
    }

    [Fact]
    public void Export_TiedEmbeddings_OmitsOutputAndLoadsTied()
    {
        var model = new DecoderModel(TinyConfigs.Create("qwen3", 0.3) with { TieWordEmbeddings = true }, new Rng(2));
        string path = _dir.File("tied.gguf");
        GgufCheckpoint.Export(model, path);
        using (var f = GgufFile.Open(path)) Assert.False(f.Contains("output.weight"));
        var copy = GgufCheckpoint.Load(path);
        Assert.True(copy.LmHead.Tied);
        Assert.Equal(Logits(model), Logits(copy));
    }

    [Fact]
    public void Export_LlamaFamily_PermutesQueryRowsAsLlamaCpp()
    {
        // Given a llama model whose q_proj rows are numbered
        var model = Tiny("llama");
        var named = model.NamedParameters().Single(p => p.Name == "model.layers.0.self_attn.q_proj.weight").Parameter;
        Span<float> w = named.Value.Span;
        for (int r = 0; r < 8; r++) w.Slice(r * 8, 8).Fill(r);
        string path = _dir.File("perm.gguf");
        GgufCheckpoint.Export(model, path);
        using var f = GgufFile.Open(path);
        float[] rows = f.ReadTensor("blk.0.attn_q.weight").ToArray();
        // Then each head of 4 rows [0 1 | 2 3] is stored interleaved [0 2 1 3] (2 heads, head_dim 4)
        Assert.Equal([0f, 2, 1, 3, 4, 6, 5, 7], Enumerable.Range(0, 8).Select(r => rows[r * 8]));
    }

    [Fact]
    public void ExportQ8_0_RowsNotWholeBlocks_FallBackToF16()
    {
        string path = _dir.File("fallback.gguf");
        GgufCheckpoint.Export(Tiny("llama"), path, GgmlType.Q8_0);
        using var f = GgufFile.Open(path);
        Assert.Equal(GgmlType.F16, f.GetTensor("blk.0.attn_q.weight").Type);
    }

    [Fact]
    public void SafeTensorsToGgufToSafeTensors_TensorsIdentical()
    {
        // Given a checkpoint folder
        var model = Tiny("qwen3_moe");
        string hf = Path.Combine(_dir.Path, "hf"), back = Path.Combine(_dir.Path, "back");
        model.SavePretrained(hf);

        // When it is loaded, exported to GGUF F32, loaded from GGUF and saved as safetensors again
        var loaded = DecoderModel.FromPretrained(hf, MoeFeedForward.Factory);
        GgufCheckpoint.Export(loaded, _dir.File("x.gguf"));
        GgufCheckpoint.Load(_dir.File("x.gguf")).SavePretrained(back);

        // Then every tensor is bit-identical
        using var a = Switchyard.Formats.SafeTensors.Open(Path.Combine(hf, "model.safetensors"));
        using var b = Switchyard.Formats.SafeTensors.Open(Path.Combine(back, "model.safetensors"));
        Assert.Equal(a.Names, b.Names);
        foreach (string n in a.Names) Assert.Equal(a.GetBytes(n).ToArray(), b.GetBytes(n).ToArray());
        Assert.Equal(File.ReadAllText(Path.Combine(hf, "config.json")), File.ReadAllText(Path.Combine(back, "config.json")));
    }

    [Fact]
    public void Load_MissingTensor_ThrowsNamingFileAndTensor()
    {
        string path = Rewrite(Tiny("mixtral"), skip: "blk.1.ffn_up_exps.weight");
        var e = Assert.Throws<CheckpointMismatchException>(() => GgufCheckpoint.Load(path));
        Assert.Equal(["blk.1.ffn_up_exps.weight"], e.Missing);
        Assert.Contains(Path.GetFileName(path), e.Message);
        Assert.Contains("missing tensors: blk.1.ffn_up_exps.weight", e.Message);
    }

    [Fact]
    public void Load_ShapeMismatch_ThrowsNamingTensorAndShapes()
    {
        string path = Rewrite(Tiny("qwen2"), replace: ("blk.0.ffn_down.weight", [13, 8]));
        var e = Assert.Throws<CheckpointMismatchException>(() => GgufCheckpoint.Load(path));
        Assert.Contains("tensor 'blk.0.ffn_down.weight' has shape [8, 13] in the file, the configuration implies [8, 12]", e.Message);
    }

    [Fact]
    public void Load_UnknownArchitecture_ThrowsInvalidModelFile()
    {
        string path = _dir.File("gpt2.gguf");
        new GgufWriter().AddMetadata("general.architecture", GgufValue.String("gpt2")).Write(path);
        var e = Assert.Throws<InvalidModelFileException>(() => GgufCheckpoint.Load(path));
        Assert.Contains("metadata 'general.architecture': expected one of llama", e.Message);
    }

    [Fact]
    public void Load_MistypedKey_ThrowsNamingKey()
    {
        string path = _dir.File("bad.gguf");
        new GgufWriter().AddMetadata("general.architecture", GgufValue.String("llama"))
            .AddMetadata("llama.embedding_length", GgufValue.String("eight")).Write(path);
        var e = Assert.Throws<InvalidModelFileException>(() => GgufCheckpoint.Load(path));
        Assert.Contains("metadata 'llama.embedding_length': expected an integer, found STRING", e.Message);
    }

    // The exported file with one tensor left out or replaced by zeros of other dimensions (ggml order).
    string Rewrite(DecoderModel model, string? skip = null, (string Name, long[] Ne)? replace = null)
    {
        string full = _dir.File("full.gguf"), path = _dir.File("edited.gguf");
        GgufCheckpoint.Export(model, full);
        using var f = GgufFile.Open(full);
        var w = new GgufWriter().AddMetadata(f.Metadata);
        foreach (var t in f.Tensors)
        {
            if (t.Name == skip) continue;
            if (replace is { } r && r.Name == t.Name)
                w.AddTensor(t.Name, r.Ne, new float[r.Ne.Aggregate(1L, (a, b) => a * b)]);
            else w.AddTensor(t.Name, t.Dimensions, t.Type, f.GetBytes(t.Name).ToArray());
        }
        w.Write(path);
        return path;
    }
}
