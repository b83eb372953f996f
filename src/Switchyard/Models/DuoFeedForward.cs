using System.Text.Json;
using Switchyard.Experts;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// Builds the <c>duo</c> MoE block (Duo-LLM, arXiv 2410.10846, shared/specs/token-routers.md §11): one
/// <see cref="MoeLayer"/> whose expert set is a big and a small SwiGLU FFN composed by id range
/// (<see cref="HeterogeneousExperts"/>: expert 0 = big, 1 = small) and whose router has a third, null slot for
/// skip when allowed: a token routed to skip is never dispatched and its residual passes it on, h ← h + 0.
/// The router is the layer's catalog router, <c>duo-random</c> (default) or <c>duo-router</c>; the block hands it
/// its slots and cost weights, so the two never disagree.
/// </summary>
/// <remarks>Tensor names: <c>mlp.gate.weight</c> [slots, d] (duo-router), <c>mlp.experts.big.0.gate_proj.weight</c>, <c>mlp.experts.small.0.…</c>.</remarks>
public static class DuoFeedForward
{
    /// <summary>The block kind's name in <see cref="MoeBlockCatalog"/>.</summary>
    public const string Name = "duo";

    /// <summary>Expert id of the big FFN.</summary>
    public const int Big = 0;

    /// <summary>Expert id of the small FFN.</summary>
    public const int Small = 1;

    /// <summary>Slot of skip (the null expert) when allowed.</summary>
    public const int Skip = 2;

    /// <summary>Builds layer <paramref name="layer"/>'s block of <paramref name="config"/> with <paramref name="options"/> (<see cref="DuoBlockOptions"/>).</summary>
    /// <exception cref="InvalidConfigException">Bad block options, or the layer's router is not a Duo router.</exception>
    /// <exception cref="InvalidRouterOptionException">A router option is out of range.</exception>
    public static MoeFeedForward Create(int layer, ModelConfig config, Rng rng, JsonElement? options)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(rng);
        DuoBlockOptions o = DuoBlockOptions.Parse(options, config);
        string name = config.RouterFor(layer) ?? "duo-random";
        RouterEntry entry = RouterCatalog.Get(name);
        object parsed = config.RouterOptionsFor(layer) is { } json ? entry.ParseOptions(json) : entry.Defaults;
        object routerOptions = parsed switch
        {
            DuoRandomRouterOptions r => r with { Skip = o.Skip },
            DuoRouterOptions r => r with { Skip = o.Skip, SlotCosts = o.Costs },
            _ => throw new InvalidConfigException(null, "switchyard.router", $"\"duo-random\" or \"duo-router\" (block \"{Name}\" routes among big, small{(o.Skip ? " and skip" : "")})", $"\"{name}\""),
        };
        Router router = entry.Create(new RouterSetup(config.HiddenSize, 2, rng), routerOptions);
        float std = (float)config.InitializerRange;
        var experts = new HeterogeneousExperts(
            ("big", new SwiGluExperts(config.HiddenSize, 1, o.BigWidth, rng, std)),
            ("small", new SwiGluExperts(config.HiddenSize, 1, o.SmallWidth, rng, std)));
        return new MoeFeedForward(new MoeLayer(router, experts));
    }
}
