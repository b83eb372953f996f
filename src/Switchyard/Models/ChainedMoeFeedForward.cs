using System.Text.Json;
using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Routing;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// The <c>chain</c> MoE block (Chain-of-Experts, shared/specs/token-routers.md §6): an Experts
/// <see cref="ChainedMoeLayer"/> built from the config exactly as <see cref="MoeFeedForward"/> builds its layer (router,
/// k from <c>num_experts_per_tok</c>, experts, shared experts), re-applied <see cref="ChainedMoeOptions.Iterations"/> times
/// with a router per iteration. Its children are the chained layer's, so iteration 0 carries a plain MoE block's names
/// (<c>gate</c>, <c>experts</c>, …) and later iterations add <c>gate_1</c>, <c>gate_2</c>, ….
/// </summary>
/// <remarks>
/// <see cref="RoutedLayers"/> lists one <see cref="MoeLayer"/> per iteration, so the trainer reports statistics and FLOPs per
/// iteration (several <c>layers</c> entries with the same layer index in metrics.jsonl) and runs every iteration's
/// balancers. The iterations' auxiliary losses are summed into one <c>router_aux</c> term, as the reference code adds
/// each gate's loss.
/// </remarks>
public sealed class ChainedMoeFeedForward : FeedForwardBlock
{
    readonly RoutingContext _routing = new(new Rng(0));
    readonly AuxLossAccumulator _aux = new();

    /// <summary>Wraps an existing chained layer.</summary>
    public ChainedMoeFeedForward(ChainedMoeLayer chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        Chain = chain;
        foreach (var (name, child) in chain.Children) AddModule(name, child);
    }

    /// <summary>The block kind's name in <see cref="MoeBlockCatalog"/>.</summary>
    public const string BlockName = "chain";

    /// <summary>Builds the chain block of layer <paramref name="layer"/> of <paramref name="config"/> with <paramref name="options"/> (<see cref="ChainedMoeOptions"/>).</summary>
    /// <exception cref="InvalidConfigException">An option is unknown or invalid.</exception>
    /// <exception cref="UnknownRouterException">The layer names an unknown router.</exception>
    /// <exception cref="InvalidRouterOptionException">A router option is invalid.</exception>
    public static ChainedMoeFeedForward Create(int layer, ModelConfig config, Rng rng, JsonElement? options, ReadOnlyMemory<long> tokenCounts = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(rng);
        ChainedMoeOptions o = ChainedMoeOptions.Parse(options);
        return new ChainedMoeFeedForward(ChainedMoeLayer.Create(MoeFeedForward.LayerOptions(layer, config, tokenCounts), o.Iterations, rng, o.InnerResidual, o.SharedGate));
    }

    /// <summary>The chained layer: iterations, routers and the statistics of the last call.</summary>
    public ChainedMoeLayer Chain { get; }

    /// <inheritdoc/>
    public override int HiddenSize => Chain.ModelDim;

    /// <inheritdoc/>
    public override IEnumerable<MoeLayer> RoutedLayers => Chain.Layers;

    /// <inheritdoc/>
    public override Var Forward(Tape tape, Var x, in LayerContext context)
    {
        ArgumentNullException.ThrowIfNull(tape);
        MoeFeedForward.PrepareRouting(context, _routing);
        _aux.Clear();
        Var y = Chain.Forward(tape, x, _routing, _aux);
        if (_aux.Total is { } aux) context.Losses.Add("router_aux", context.Layer, aux, 1f);
        return y;
    }
}
