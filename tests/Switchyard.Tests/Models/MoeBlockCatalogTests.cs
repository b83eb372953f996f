using System.Text.Json;
using Switchyard.Models;
using Switchyard.Tensors;

namespace Switchyard.Tests.Models;

public sealed class MoeBlockCatalogTests
{
    static ModelConfig Tiny(string switchyard) => ModelConfig.Parse($$"""
        { "model_type": "mixtral", "vocab_size": 64, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2,
          "num_attention_heads": 2, "num_key_value_heads": 1, "num_local_experts": 4, "num_experts_per_tok": 2,
          "switchyard": {{switchyard}} }
        """, "tiny.json");

    [Fact]
    public void Create_DefaultBlock_IsMoeFeedForwardWithOneRoutedLayer()
    {
        ModelConfig config = Tiny("{}");
        FeedForwardBlock block = MoeBlockCatalog.Create(0, config, new Rng(1));
        var moe = Assert.IsType<MoeFeedForward>(block);
        Assert.Same(moe.Layer, Assert.Single(block.RoutedLayers));
        Assert.Contains(MoeBlockCatalog.Default, MoeBlockCatalog.Names);
    }

    [Fact]
    public void Parse_BlockAndOptions_RoundTripThroughConfigJson()
    {
        ModelConfig config = Tiny("""{ "block": "moe", "block_options": { "x": 1 } }""");
        Assert.Equal("moe", config.Switchyard!.Block);
        ModelConfig back = ModelConfig.Parse(config.ToJson(), "back.json");
        Assert.Equal("moe", back.Switchyard!.Block);
        Assert.Equal(1, back.Switchyard.BlockOptions!.Value.GetProperty("x").GetInt32());
    }

    [Fact]
    public void EnsureBuildable_UnknownBlock_ListsTheKinds()
    {
        ModelConfig config = Tiny("""{ "block": "nope" }""");
        var ex = Assert.Throws<InvalidConfigException>(() => config.EnsureBuildable("tiny.json"));
        Assert.Contains("switchyard.block", ex.Message);
        Assert.Contains("\"moe\"", ex.Message);
        Assert.Contains("\"nope\"", ex.Message);
    }

    [Fact]
    public void Create_DefaultBlockWithOptions_IsAClearError()
    {
        ModelConfig config = Tiny("""{ "block_options": { "iterations": 2 } }""");
        var ex = Assert.Throws<InvalidConfigException>(() => MoeBlockCatalog.Create(0, config, new Rng(1)));
        Assert.Contains("switchyard.block_options", ex.Message);
    }

    [Fact]
    public void CopyByName_SameConfig_TargetEqualsSource()
    {
        ModelConfig config = Tiny("{}");
        var source = new DecoderModel(config, new Rng(1), MoeFeedForward.Factory);
        var target = new DecoderModel(config, new Rng(2), MoeFeedForward.Factory);
        ModelConversions.Apply(null, source, target, null, new Rng(3));
        var s = source.NamedParameters().ToDictionary(x => x.Name, x => x.Parameter.Value.Span.ToArray());
        foreach (var (name, p) in target.NamedParameters()) Assert.Equal(s[name], p.Value.Span.ToArray());
        var ex = Assert.Throws<InvalidConfigException>(() => ModelConversions.Apply("nope", source, target, null, new Rng(3)));
        Assert.Contains("\"copy\"", ex.Message);
        using var doc = JsonDocument.Parse("{}");
        Assert.Throws<InvalidConfigException>(() => ModelConversions.Apply("copy", source, target, doc.RootElement, new Rng(3)));
    }

    [Fact]
    public void CopySideInformation_ModelContext_ReachesTheBlocksOwnContext()
    {
        var from = new Switchyard.Routing.RoutingContext(new Rng(1))
        {
            TaskIds = new[] { 1, 2 }, LanguageIds = new[] { 3, 4 }, ModalityIds = new[] { 0, 1 }, TokenRoles = new[] { 2, 1 },
        };
        var to = new Switchyard.Routing.RoutingContext(new Rng(2));
        MoeFeedForward.CopySideInformation(from, to);
        Assert.Equal([1, 2], to.TaskIds.ToArray());
        Assert.Equal([3, 4], to.LanguageIds.ToArray());
        Assert.Equal([0, 1], to.ModalityIds.ToArray());
        Assert.Equal([2, 1], to.TokenRoles.ToArray());
        MoeFeedForward.CopySideInformation(null, to);
        Assert.True(to.TaskIds.IsEmpty && to.TokenRoles.IsEmpty);
    }
}
