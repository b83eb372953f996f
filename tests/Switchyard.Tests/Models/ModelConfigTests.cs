using System.Text.Json;
using Switchyard.Models;
using Switchyard.Tests.Formats;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Models;

public sealed class ModelConfigTests
{
    [Theory, MemberData(nameof(SampleConfigs.All), MemberType = typeof(SampleConfigs))]
    public void SaveLoad_HubConfig_KeepsEveryFieldAndValue(string modelType, string json)
    {
        // Given a published config.json
        using var dir = new TempDirectory();
        string path = dir.File("config.json");
        File.WriteAllText(path, json);

        // When loaded, saved and loaded again
        var config = ModelConfig.Load(path);
        string saved = dir.File("saved.json");
        config.Save(saved);
        var again = ModelConfig.Load(saved);

        // Then every original key is written back with the same value (numbers by value)
        Assert.Equal(modelType, config.ModelType);
        using var original = JsonDocument.Parse(json);
        using var written = JsonDocument.Parse(File.ReadAllText(saved));
        foreach (var p in original.RootElement.EnumerateObject())
        {
            Assert.True(written.RootElement.TryGetProperty(p.Name, out var w), $"{p.Name} was not written back");
            AssertSameJson(p.Value, w, p.Name);
        }
        // and the reloaded config is equal (same text written)
        Assert.Equal(config, again);
        Assert.NotEqual(config, again with { NumHiddenLayers = again.NumHiddenLayers + 1 });
    }

    static void AssertSameJson(JsonElement expected, JsonElement actual, string path)
    {
        if (expected.ValueKind == JsonValueKind.Number)
        {
            Assert.Equal(JsonValueKind.Number, actual.ValueKind);
            Assert.Equal(expected.GetDouble(), actual.GetDouble());
            return;
        }
        Assert.Equal(expected.ValueKind, actual.ValueKind);
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in expected.EnumerateObject())
                {
                    Assert.True(actual.TryGetProperty(p.Name, out var a), $"{path}.{p.Name} missing");
                    AssertSameJson(p.Value, a, $"{path}.{p.Name}");
                }
                break;
            case JsonValueKind.Array:
                Assert.Equal(expected.GetArrayLength(), actual.GetArrayLength());
                for (int i = 0; i < expected.GetArrayLength(); i++) AssertSameJson(expected[i], actual[i], $"{path}[{i}]");
                break;
            default:
                Assert.Equal(expected.GetRawText(), actual.GetRawText());
                break;
        }
    }

    [Fact]
    public void Parse_Mixtral_ReadsTypedFields()
    {
        var c = ModelConfig.Parse(SampleConfigs.Mixtral8x7B);
        Assert.Equal(8, c.NumExperts);
        Assert.Equal(2, c.NumExpertsPerTok);
        Assert.Equal(14336, c.ExpertIntermediateSize);
        Assert.Equal(8, c.KeyValueHeads);
        Assert.Equal(128, c.EffectiveHeadDim);
        Assert.True(c.NormTopkProb); // Mixtral renormalises without a field
        Assert.Equal(0.02, c.RouterAuxLossCoef);
        Assert.Equal(1e6, c.RopeTheta);
        Assert.Equal([2], c.EosTokenId);
        Assert.Equal(QkNormKind.None, c.QkNorm);
        Assert.Equal(FeedForwardKind.Moe, c.LayerKind(0));
        Assert.Equal("model.layers.3.block_sparse_moe.experts.5.w1.weight", c.MoeNames.ExpertWeight(3, 5, c.MoeNames.GateProj));
        Assert.Equal("model.layers.0.block_sparse_moe.gate.weight", c.MoeNames.RouterWeight(0));
        Assert.True(c.UnknownFields.ContainsKey("transformers_version"));
        // Floats are written as Python's json writes them, so files diff cleanly against transformers'.
        string json = c.ToJson();
        Assert.Contains("\"rope_theta\": 1000000.0,", json);
        Assert.Contains("\"rms_norm_eps\": 1e-05,", json);
    }

    [Fact]
    public void Parse_QwenAndOlmoe_TakeArchitectureBehaviour()
    {
        var qwen2 = ModelConfig.Parse(SampleConfigs.Qwen15MoeA27B);
        Assert.Equal(1408, qwen2.ExpertIntermediateSize);
        Assert.Equal(5632, qwen2.SharedIntermediateSize);
        Assert.False(qwen2.NormTopkProb);
        Assert.True(qwen2.Preset!.ImplicitQkvBias);
        Assert.True(qwen2.Preset.SharedExpertGate);
        var qwen3 = ModelConfig.Parse(SampleConfigs.Qwen3Moe30BA3B);
        Assert.Equal(QkNormKind.PerHead, qwen3.QkNorm);
        Assert.Equal(128, qwen3.EffectiveHeadDim);
        Assert.True(qwen3.NormTopkProb);
        var olmoe = ModelConfig.Parse(SampleConfigs.Olmoe1B7B);
        Assert.Equal(QkNormKind.FullProjection, olmoe.QkNorm);
        Assert.Null(olmoe.BosTokenId);
        Assert.Null(olmoe.ClipQkv);
        Assert.Equal(1024, olmoe.ExpertIntermediateSize);
        var granite = ModelConfig.Parse(SampleConfigs.Granite30MoeA400M);
        Assert.Equal(12.0, granite.EmbeddingMultiplier);
        Assert.Equal(0.015625, granite.AttentionMultiplier);
        Assert.True(granite.TieWordEmbeddings);
        Assert.Equal("model.layers.1.block_sparse_moe.router.layer.weight", granite.MoeNames.RouterWeight(1));
        var llama = ModelConfig.Parse(SampleConfigs.Llama32_1B);
        Assert.Equal([128001, 128008, 128009], llama.EosTokenId);
        Assert.False(llama.IsMoe);
    }

    [Fact]
    public void Parse_OmittedFields_TakeModelTypeDefaults()
    {
        var c = ModelConfig.Parse("""{"model_type": "qwen3_moe", "num_hidden_layers": 2}""");
        Assert.Equal(128, c.NumExperts);
        Assert.Equal(768, c.MoeIntermediateSize);
        Assert.Equal(151936, c.VocabSize);
        Assert.Equal(2, c.NumHiddenLayers);
        // Written back with the fields of the Qwen3-MoE config class
        using var doc = JsonDocument.Parse(c.ToJson());
        Assert.Equal(128, doc.RootElement.GetProperty("num_experts").GetInt32());
        Assert.False(doc.RootElement.TryGetProperty("num_local_experts", out _));
        Assert.Equal("Qwen3MoeForCausalLM", doc.RootElement.GetProperty("architectures")[0].GetString());
    }

    [Fact]
    public void LayerKind_QwenSparseStepAndMlpOnlyLayers_FollowTransformersRule()
    {
        var c = ModelConfig.Parse("""{"model_type": "qwen2_moe", "num_hidden_layers": 6, "decoder_sparse_step": 2, "mlp_only_layers": [3]}""");
        FeedForwardKind[] kinds = [.. Enumerable.Range(0, 6).Select(c.LayerKind)];
        Assert.Equal([FeedForwardKind.Dense, FeedForwardKind.Moe, FeedForwardKind.Dense, FeedForwardKind.Dense, FeedForwardKind.Dense, FeedForwardKind.Moe], kinds);
    }

    [Fact]
    public void Parse_SwitchyardExtension_RoundTripsAndOverridesLayers()
    {
        const string json = """
        {
          "model_type": "mixtral", "num_hidden_layers": 3, "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2,
          "intermediate_size": 128, "vocab_size": 100,
          "switchyard": {
            "router": "top-k",
            "router_options": {"k": 2, "jitter": 0.01},
            "qk_norm": "per_head",
            "layers": [{"index": 0, "kind": "dense"}, {"index": 2, "router": "hash", "router_options": {"seed": 7}}],
            "future_flag": [1, 2]
          }
        }
        """;
        var c = ModelConfig.Parse(json);
        Assert.Equal(FeedForwardKind.Dense, c.LayerKind(0));
        Assert.Equal(FeedForwardKind.Moe, c.LayerKind(1));
        Assert.Equal("top-k", c.RouterFor(1));
        Assert.Equal("hash", c.RouterFor(2));
        Assert.Equal(7, c.RouterOptionsFor(2)!.Value.GetProperty("seed").GetInt32());
        Assert.Equal(2, c.RouterOptionsFor(1)!.Value.GetProperty("k").GetInt32());
        Assert.Equal(QkNormKind.PerHead, c.QkNorm);

        var again = ModelConfig.Parse(c.ToJson());
        using var doc = JsonDocument.Parse(again.ToJson());
        var ext = doc.RootElement.GetProperty("switchyard");
        Assert.Equal("hash", ext.GetProperty("layers")[1].GetProperty("router").GetString());
        Assert.Equal("dense", ext.GetProperty("layers")[0].GetProperty("kind").GetString());
        Assert.Equal(0.01, ext.GetProperty("router_options").GetProperty("jitter").GetDouble());
        Assert.Equal("per_head", ext.GetProperty("qk_norm").GetString());
        Assert.Equal(2, ext.GetProperty("future_flag").GetArrayLength());
    }

    [Fact]
    public void ToJson_QkNormChangedInCode_IsWrittenToExtension()
    {
        var c = ArchitecturePresets.Defaults("qwen3") with { QkNorm = QkNormKind.FullProjection };
        Assert.Equal(QkNormKind.FullProjection, ModelConfig.Parse(c.ToJson()).QkNorm);
        Assert.DoesNotContain("switchyard", ArchitecturePresets.Defaults("qwen3").ToJson());
    }

    public static TheoryData<string, string, string> InvalidConfigs => new()
    {
        { """{"model_type": "llama", "num_attention_heads": 32, "num_key_value_heads": 5}""", "num_key_value_heads", "found 5" },
        { """{"model_type": "llama", "hidden_size": 100, "num_attention_heads": 32}""", "hidden_size", "multiple of num_attention_heads (32)" },
        { """{"model_type": "mixtral", "num_experts_per_tok": 9}""", "num_experts_per_tok", "found 9" },
        { """{"model_type": "qwen3_moe", "moe_intermediate_size": 0}""", "moe_intermediate_size", "found 0" },
        { """{"model_type": "llama", "vocab_size": -1}""", "vocab_size", "found -1" },
        { """{"model_type": "llama", "vocab_size": "big"}""", "vocab_size", "expected an integer, found \"big\"" },
        { """{"model_type": "llama", "rope_theta": null}""", "rope_theta", "found null" },
        { """{"model_type": "llama", "head_dim": 7}""", "head_dim", "even" },
        { """{"model_type": "qwen2_moe", "mlp_only_layers": [40]}""", "mlp_only_layers[0]", "found 40" },
        { """{"model_type": "gpt2"}""", "model_type", "found 'gpt2'" },
        { """{"hidden_size": 8}""", "model_type", "no such field" },
        { """{"model_type": "llama", "eos_token_id": 40000}""", "eos_token_id", "[0, 32000)" },
        { """{"model_type": "mixtral", "switchyard": {"layers": [{"index": 99}]}}""", "switchyard.layers[0].index", "found 99" },
        { """{"model_type": "mixtral", "switchyard": {"qk_norm": "sometimes"}}""", "switchyard.qk_norm", "\"per_head\"" },
        { """{"model_type": "llama", "switchyard": {"layers": [{"index": 0, "kind": "moe"}]}}""", "switchyard.layers[0].kind", "num_experts is 0" },
        { """{"model_type": "llama", """, "(file)", "invalid JSON" },
    };

    [Theory, MemberData(nameof(InvalidConfigs))]
    public void Load_InvalidField_ThrowsNamingFileAndField(string json, string field, string detail)
    {
        using var dir = new TempDirectory();
        string path = dir.File("config.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<InvalidConfigException>(() => ModelConfig.Load(path));
        Assert.Equal(field, e.Field);
        Assert.StartsWith($"config.json: {field}: expected ", e.Message);
        Assert.Contains(detail, e.Message);
        Assert.IsAssignableFrom<SwitchyardException>(e);
    }

    [Fact]
    public void EnsureBuildable_RopeScaling_ThrowsNamingTheField()
    {
        var c = ModelConfig.Parse(SampleConfigs.Llama32_1B);
        var e = Assert.Throws<InvalidConfigException>(() => c.EnsureBuildable("config.json"));
        Assert.Equal("rope_scaling", e.Field);
    }

    [Fact]
    public void Save_ExistingFile_ReplacedWithoutLeavingTempFiles()
    {
        using var dir = new TempDirectory();
        string path = dir.File("config.json");
        File.WriteAllText(path, SampleConfigs.Olmoe1B7B);
        var c = ModelConfig.Parse(SampleConfigs.Mixtral8x7B);
        c.Save(path);
        Assert.Equal("mixtral", ModelConfig.Load(path).ModelType);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void DenseControl_Qwen2Moe_HasWidthKTimesFPlusShared()
    {
        // baselines.md §9: FFN width = k·F + shared width.
        var moe = ModelConfig.Parse(SampleConfigs.Qwen15MoeA27B);
        var dense = moe.DenseControl();
        Assert.Equal("qwen2", dense.ModelType);
        Assert.Equal(4 * 1408 + 5632, dense.IntermediateSize);
        Assert.False(dense.IsMoe);
        dense.Validate();
        // Active parameters match up to the routers and the shared-expert gate.
        long routers = moe.NumHiddenLayers * (long)moe.HiddenSize * (moe.NumExperts + 1);
        Assert.Equal(ModelCost.ActiveParameters(moe) - routers, ModelCost.Parameters(dense));
        // and it survives a write and read
        Assert.Equal(dense.IntermediateSize, ModelConfig.Parse(dense.ToJson()).IntermediateSize);
    }

    [Fact]
    public void DenseControl_Olmoe_KeepsFullQkNormInExtension()
    {
        var dense = ModelConfig.Parse(SampleConfigs.Olmoe1B7B).DenseControl();
        Assert.Equal("llama", dense.ModelType);
        Assert.Equal(8 * 1024, dense.IntermediateSize);
        Assert.Equal(QkNormKind.FullProjection, ModelConfig.Parse(dense.ToJson()).QkNorm);
    }

    [Fact]
    public void DenseControl_DenseConfig_Throws() =>
        Assert.Throws<InvalidOperationException>(() => ArchitecturePresets.Defaults("llama").DenseControl());
}
