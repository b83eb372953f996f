using System.Text.Json;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// The router of an MoE block kind other than the default (<see cref="MoeBlockCatalog"/>), chosen as
/// <see cref="MoeFeedForward.Create"/> chooses it: the layer's <c>switchyard</c> router and options, the
/// architecture's softmax top-k when none is named, and k from <c>num_experts_per_tok</c> unless the
/// options set it (for the generic <c>top-k</c> and the <c>mofme</c> router).
/// </summary>
internal static class BlockRouter
{
    public static Router Create(int layer, ModelConfig config, Rng rng, ReadOnlyMemory<long> tokenCounts)
    {
        string router = config.RouterFor(layer) ?? "top-k";
        RouterEntry entry = RouterCatalog.Get(router);
        JsonElement? json = config.RouterOptionsFor(layer);
        object options = json is { } j ? entry.ParseOptions(j) : entry.Defaults;
        bool explicitK = json is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty("k", out _);
        int k = config.NumExpertsPerTok;
        options = options switch
        {
            TopKRouterOptions t when config.RouterFor(layer) is null => t with
            {
                K = k, Normalize = config.NormTopkProb, AuxAlpha = (float)config.RouterAuxLossCoef,
                AuxConvention = Routing.Balancers.LoadBalanceConvention.Mixtral, ZBeta = 0f,
            },
            TopKRouterOptions t when router == "top-k" && !explicitK && k > 0 => t with { K = k },
            MofmeRouterOptions m when !explicitK && k > 0 => m with { K = k },
            _ => options,
        };
        return RouterCatalog.Create(router, new RouterSetup(config.HiddenSize, config.NumExperts, rng) { TokenCounts = tokenCounts }, options);
    }
}
