using System.Text.Json;
using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Models;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Tensors;

namespace Switchyard.Tests.Models;

public class DuoFeedForwardTests
{
    /// <summary>A tiny 2-layer model of duo blocks (big width 12, small 3 unless the options say otherwise).</summary>
    internal static ModelConfig Config(string router = "duo-random", string blockOptions = """{ "big_width": 12, "small_width": 3 }""",
        string? routerOptions = null, int layers = 2) =>
        TinyConfigs.Create("mixtral", initStd: 0.3) with
        {
            NumHiddenLayers = layers,
            Switchyard = new SwitchyardOptions
            {
                Block = DuoFeedForward.Name, BlockOptions = JsonDocument.Parse(blockOptions).RootElement.Clone(), Router = router,
                RouterOptions = routerOptions is null ? null : JsonDocument.Parse(routerOptions).RootElement.Clone(),
            },
        };

    static MoeLayer Layer(DecoderModel model, int layer) => model.Layers[layer].FeedForward.RoutedLayers.Single();

    [Fact]
    public void Create_BuildsBigSmallAndSkip_WithTheirOwnNames()
    {
        var model = new DecoderModel(Config(), new Rng(1), MoeFeedForward.Factory);
        MoeLayer moe = Layer(model, 0);
        var experts = Assert.IsType<HeterogeneousExperts>(moe.Experts);
        Assert.Equal(["big", "small"], experts.Names);
        Assert.Equal((2, 1), (moe.Router.Experts, moe.Router.NullExperts)); // skip = the null slot
        string[] names = [.. model.NamedParameters().Select(p => p.Name)];
        Assert.Contains("model.layers.0.block_sparse_moe.experts.big.0.w1.weight", names.Select(n => n.Replace("gate_proj", "w1")));
        Assert.Contains(names, n => n.Contains("experts.small.0.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0, 2 * 3 * 8 * 12)] // big: 2·3·d·F
    [InlineData(1, 2 * 3 * 8 * 3)]  // small
    [InlineData(2, 0)]              // skip: never dispatched
    public void Forward_ForcedSlot_CostsThatKindOnly_AndSkipOutputsZero(int slot, int flops)
    {
        // Given every token forced to one slot in every layer
        var model = new DecoderModel(Config(), new Rng(1), MoeFeedForward.Factory);
        var pattern = new SlotPatternOverride(2);
        pattern.Fill(6, slot);
        model.RoutingContext.Override = pattern;
        var tape = new Tape();
        model.Forward(tape, [1, 2, 3, 4, 5, 6], 2, 3);

        // Then the layer's FLOPs per token are that kind's, and skip adds exactly 0
        Assert.Equal(flops, Layer(model, 1).FlopsPerToken);
        var x = new Tensor(new Shape(6, 8));
        new Rng(3).FillNormal(x.Span, 1f);
        Var y = Layer(model, 0).Forward(tape, tape.Constant(x), new RoutingContext(new Rng(1)) { Override = pattern });
        if (slot == 2) Assert.All(y.Value.ToArray(), v => Assert.Equal(0f, v));
        else Assert.Contains(y.Value.ToArray(), v => v != 0f);
    }

    [Fact]
    public void Create_DuoRouter_TakesTheBlocksSlotsAndCosts()
    {
        var model = new DecoderModel(Config("duo-router", """{ "big_width": 16, "small_width": 4, "costs": [1, 0.5, 0] }"""), new Rng(1), MoeFeedForward.Factory);
        var penalty = Layer(model, 0).Router.Balancers.OfType<Switchyard.Routing.Balancers.BudgetPenalty>().Single();
        Assert.Equal([1f, 0.5f, 0f], penalty.Costs.ToArray());
        var noSkip = new DecoderModel(Config("duo-router", """{ "skip": false }"""), new Rng(1), MoeFeedForward.Factory);
        MoeLayer layer = Layer(noSkip, 0);
        Assert.Equal(0, layer.Router.NullExperts);
        Assert.Equal([1f, 1f / 12], layer.Router.Balancers.OfType<Switchyard.Routing.Balancers.BudgetPenalty>().Single().Costs.ToArray()); // small = 12/8 → 1 of width 12
    }

    [Theory]
    [InlineData("""{ "width": 3 }""", "switchyard.block_options.width")]
    [InlineData("""{ "skip": 1 }""", "switchyard.block_options.skip")]
    [InlineData("""{ "costs": [1, 0.1] }""", "switchyard.block_options.costs")]
    [InlineData("""{ "costs": [1, -1, 0] }""", "switchyard.block_options.costs")]
    [InlineData("""{ "big_width": 4, "small_width": 8 }""", "switchyard.block_options.small_width")]
    [InlineData("""{ "big_width": 0 }""", "switchyard.block_options.big_width")]
    public void Create_BadBlockOptions_ThrowNamingTheField(string options, string field)
    {
        var ex = Assert.Throws<InvalidConfigException>(() => new DecoderModel(Config(blockOptions: options), new Rng(1), MoeFeedForward.Factory));
        Assert.Contains(field, ex.Message);
        if (field.EndsWith("width", StringComparison.Ordinal) && options.Contains("\"width\"", StringComparison.Ordinal))
            Assert.Contains(DuoBlockOptions.Known, ex.Message);
    }

    [Fact]
    public void Create_NonDuoRouter_ThrowsNamingTheDuoRouters()
    {
        var ex = Assert.Throws<InvalidConfigException>(() => new DecoderModel(Config("top-k"), new Rng(1), MoeFeedForward.Factory));
        Assert.Contains("duo-random", ex.Message);
        Assert.Contains("duo-router", ex.Message);
    }

    [Fact]
    public void DuoRouter_BadOptions_ThrowListingTheValidOnes()
    {
        var setup = new RouterSetup(8, 2, new Rng(1));
        var ex = Assert.Throws<InvalidRouterOptionException>(() => RouterCatalog.Create("duo-router", setup, ["budget=2"]));
        Assert.Contains("budget", ex.Message);
        ex = Assert.Throws<InvalidRouterOptionException>(() => RouterCatalog.Create("duo-router", setup, ["k=1"]));
        Assert.Contains("lambda_rate", ex.Message);
        ex = Assert.Throws<InvalidRouterOptionException>(() => RouterCatalog.Create("duo-random", setup, ["big_fraction=1.5"]));
        Assert.Contains("big_fraction", ex.Message);
    }
}
