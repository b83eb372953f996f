using System.Text.Json;
using Switchyard.Experts;
using Switchyard.Models;
using Switchyard.Routing.Scorers;
using Switchyard.Tensors;

namespace Switchyard.Tests.Models;

public class FilmBlockTests
{
    static ModelConfig Film(string? options = null, string router = "mofme") => TinyConfigs.Create("mixtral") with
    {
        Switchyard = new SwitchyardOptions
        {
            Router = router, Block = "film",
            BlockOptions = options is null ? null : JsonDocument.Parse(options).RootElement.Clone(),
        },
    };

    [Fact]
    public void Create_Defaults_TrunkAsWideAsTheActiveExperts_McDropoutRouterWithConfigK()
    {
        // Tiny mixtral: 4 experts of width 12, k = 2 → trunk 24, the dense control's width.
        var model = new DecoderModel(Film(), new Rng(1), MoeFeedForward.Factory);
        MoeLayer moe = ((MoeFeedForward)model.Layers[0].FeedForward).Layer;
        var experts = Assert.IsType<FilmExperts>(moe.Experts);
        Assert.Equal(2 * 12, experts.TrunkWidth);
        Assert.Equal(4, experts.Experts);
        Assert.IsType<McDropoutScorer>(moe.Router.Scorer);
        Assert.Equal(2, moe.Router.Selector.K);
        Assert.Contains(model.NamedParameters(), p => p.Name == "model.layers.1.block_sparse_moe.experts.film_gamma");
        Assert.Contains(model.NamedParameters(), p => p.Name == "model.layers.1.block_sparse_moe.gate.weight");
    }

    [Fact]
    public void Create_TrunkWidthOption()
    {
        var model = new DecoderModel(Film("""{ "trunk_width": 5 }""", "top-k"), new Rng(1), MoeFeedForward.Factory);
        Assert.Equal(5, ((FilmExperts)((MoeFeedForward)model.Layers[0].FeedForward).Layer.Experts).TrunkWidth);
    }

    [Theory]
    [InlineData("""{ "trunk_width": -1 }""", "trunk_width")]
    [InlineData("""{ "width": 8 }""", "width")]
    [InlineData("[1]", "block_options")]
    public void Create_BadOption_OneErrorListingTheValidOptions(string options, string field)
    {
        var e = Assert.Throws<InvalidConfigException>(() => new DecoderModel(Film(options), new Rng(1), MoeFeedForward.Factory));
        Assert.Contains(field, e.Message);
        Assert.Contains("trunk_width", e.Message);
    }
}
