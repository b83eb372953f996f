using System.Text.Json;
using Switchyard.Experts;
using Switchyard.Routing;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// MoE block kind <c>film</c> (MoFME, shared/specs/token-routers.md §12): the layer's router over E =
/// <c>num_experts</c> FiLM experts (<see cref="FilmExperts"/>) on one shared SwiGLU trunk. Option
/// <c>trunk_width</c> (0 = k·F + shared width, the width of the dense control of the same config, so the
/// trunk costs what the MoE's active experts cost). Pair with the <c>mofme</c> router for the paper's UaR.
/// </summary>
internal static class FilmBlock
{
    public const string Name = "film";

    public static FeedForwardBlock Create(int layer, ModelConfig config, Rng rng, JsonElement? options, ReadOnlyMemory<long> tokenCounts)
    {
        var o = new BlockOptionReader(Name, options, ("trunk_width", "int ≥ 0, width of the shared SwiGLU trunk (0 = k·F + shared width); default 0"));
        int width = o.Int("trunk_width", 0, 0);
        if (width == 0) width = Math.Max(1, config.NumExpertsPerTok) * config.ExpertIntermediateSize + config.SharedIntermediateSize;
        Router router = BlockRouter.Create(layer, config, rng, tokenCounts);
        var experts = new FilmExperts(config.HiddenSize, config.NumExperts, width, rng, (float)config.InitializerRange);
        return new MoeFeedForward(new MoeLayer(router, experts));
    }
}
