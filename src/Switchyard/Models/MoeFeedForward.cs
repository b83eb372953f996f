using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Nn;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// The MoE feed-forward block of a decoder layer: an Experts <see cref="MoeLayer"/> built from the
/// configuration (E = <c>num_experts</c>, F = expert width, k = <c>num_experts_per_tok</c>, shared
/// expert width, the layer's <c>switchyard</c> router and options). Its children are the
/// <see cref="MoeLayer"/>'s own (<c>gate</c>, <c>experts</c>, <c>shared_expert</c>, …), so the
/// tensors carry the architecture's Hugging Face names under <c>mlp</c> or <c>block_sparse_moe</c>.
/// </summary>
/// <remarks>
/// Without a <c>switchyard.router</c>, the architecture's own routing applies: softmax top-k with
/// k = <c>num_experts_per_tok</c>, <c>norm_topk_prob</c> renormalisation, and the load-balancing
/// loss at <c>router_aux_loss_coef</c> with the Mixtral convention (transformers'
/// <c>load_balancing_loss_func</c>). With a catalog router whose options omit <c>k</c>, k still
/// comes from the config, so one config field sets it everywhere.
/// </remarks>
public sealed class MoeFeedForward : FeedForwardBlock
{
    readonly RoutingContext _routing;
    readonly AuxLossAccumulator _aux = new();

    /// <summary>Wraps an existing MoE layer.</summary>
    public MoeFeedForward(MoeLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        Layer = layer;
        foreach (var (name, child) in layer.Children) AddModule(name, child);
        _routing = new RoutingContext(new Rng(0));
    }

    /// <summary>The factory <see cref="DecoderModel"/> takes: MoE layers as the config's <see cref="MoeBlockCatalog"/> block (default <see cref="MoeFeedForward"/>), dense ones as <see cref="FeedForwardBlocks.Dense"/>.</summary>
    public static FeedForwardFactory Factory { get; } = FeedForwardBlocks.WithMoe((layer, config, rng) => MoeBlockCatalog.Create(layer, config, rng));

    /// <summary>
    /// <see cref="Factory"/> for routers that need the training corpus's token frequencies
    /// (frequency-balanced hash routing): <paramref name="tokenCounts"/> is indexed by token id.
    /// </summary>
    public static FeedForwardFactory FactoryWithTokenCounts(ReadOnlyMemory<long> tokenCounts) =>
        FeedForwardBlocks.WithMoe((layer, config, rng) => MoeBlockCatalog.Create(layer, config, rng, tokenCounts));

    /// <summary>Builds the MoE block of layer <paramref name="layer"/> of <paramref name="config"/>.</summary>
    /// <exception cref="UnknownRouterException">The layer names an unknown router.</exception>
    /// <exception cref="InvalidRouterOptionException">A router option is unknown, mistyped or out of range.</exception>
    public static MoeFeedForward Create(int layer, ModelConfig config, Rng rng, ReadOnlyMemory<long> tokenCounts = default)
    {
        ArgumentNullException.ThrowIfNull(rng);
        return new MoeFeedForward(MoeLayer.Create(LayerOptions(layer, config, tokenCounts), rng));
    }

    /// <summary>
    /// The MoE layer options of layer <paramref name="layer"/> of <paramref name="config"/>: its router and options (k from
    /// <c>num_experts_per_tok</c> as described in the remarks), experts, shared experts and tensor naming. Blocks that build
    /// their layers differently (several routing passes) start from the same options.
    /// </summary>
    /// <exception cref="UnknownRouterException">The layer names an unknown router.</exception>
    /// <exception cref="InvalidRouterOptionException">A router option is unknown, mistyped or out of range.</exception>
    public static MoeLayerOptions LayerOptions(int layer, ModelConfig config, ReadOnlyMemory<long> tokenCounts = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        string router = config.RouterFor(layer) ?? "top-k";
        RouterEntry entry = RouterCatalog.Get(router);
        object options = config.RouterOptionsFor(layer) is { } json ? entry.ParseOptions(json) : entry.Defaults;
        bool explicitK = config.RouterOptionsFor(layer) is { ValueKind: System.Text.Json.JsonValueKind.Object } j && j.TryGetProperty("k", out _);
        options = options switch
        {
            // The architecture's router when none is named; k from num_experts_per_tok unless the options set it.
            TopKRouterOptions t when config.RouterFor(layer) is null => t with
            {
                K = config.NumExpertsPerTok, Normalize = config.NormTopkProb, AuxAlpha = (float)config.RouterAuxLossCoef,
                AuxConvention = Routing.Balancers.LoadBalanceConvention.Mixtral, ZBeta = 0f,
            },
            // The generic entries take k from the config; named methods (switch, gshard, mixtral) keep their paper's k.
            TopKRouterOptions t when router == "top-k" && !explicitK && config.NumExpertsPerTok > 0 => t with { K = config.NumExpertsPerTok },
            SigmoidBiasRouterOptions s when !explicitK && config.NumExpertsPerTok > 0 => s with { K = config.NumExpertsPerTok },
            _ => options,
        };
        var preset = config.Preset;
        return new MoeLayerOptions
        {
            ModelDim = config.HiddenSize,
            Experts = config.NumExperts,
            ExpertWidth = config.ExpertIntermediateSize,
            Router = router,
            RouterOptions = options,
            SharedExpertWidth = config.SharedIntermediateSize,
            SharedExpertGate = config.SharedIntermediateSize > 0 && (preset?.SharedExpertGate ?? false),
            Naming = config.MoeNames == MoeTensorNames.Mixtral ? ExpertNaming.Mixtral : ExpertNaming.Projections,
            InitStd = (float)config.InitializerRange,
            TokenCounts = tokenCounts,
        };
    }

    /// <summary>
    /// Sets <paramref name="routing"/> for one pass of layer <paramref name="context"/>: the per-pass fields (token ids,
    /// positions, sequence length, layer, training flag, random source, step, cross-layer state) and the side information.
    /// </summary>
    internal static void PrepareRouting(in LayerContext context, RoutingContext routing)
    {
        routing.TokenIds = context.TokenIds;
        routing.Positions = context.Positions;
        routing.SequenceLength = context.Seq;
        routing.Layer = context.Layer;
        routing.Training = context.Training;
        routing.Rng = context.Rng;
        routing.Step = context.Routing?.Step ?? 0; // step-dependent routing (SMoE-Dropout's k schedule)
        routing.TotalSteps = context.Routing?.TotalSteps ?? 0;
        routing.State = context.Routing?.State; // cross-layer router state (RMoE's GRU hidden), reset by the model per pass
        CopySideInformation(context.Routing, routing);
    }

    /// <summary>
    /// Copies what the caller put on the model's routing context besides the per-pass fields: side ids
    /// (task, language, modality, role per token) and the forced-routing override.
    /// </summary>
    internal static void CopySideInformation(RoutingContext? from, RoutingContext to)
    {
        to.TaskIds = from?.TaskIds ?? default;
        to.LanguageIds = from?.LanguageIds ?? default;
        to.LanguageFamilyIds = from?.LanguageFamilyIds ?? default;
        to.ModalityIds = from?.ModalityIds ?? default;
        to.TokenRoles = from?.TokenRoles ?? default;
        to.Override = from?.Override;
    }

    /// <summary>The wrapped layer: router, experts and the statistics of the last call.</summary>
    public MoeLayer Layer { get; }

    /// <inheritdoc/>
    public override int HiddenSize => Layer.ModelDim;

    /// <inheritdoc/>
    public override IEnumerable<MoeLayer> RoutedLayers => [Layer];

    /// <inheritdoc/>
    public override Var Forward(Tape tape, Var x, in LayerContext context)
    {
        ArgumentNullException.ThrowIfNull(tape);
        PrepareRouting(context, _routing);
        _aux.Clear();
        Var y = Layer.Forward(tape, x, _routing, _aux);
        // The router returns its balancers' coefficient-weighted sum; the parts are in Statistics.AuxLosses.
        if (_aux.Total is { } aux) context.Losses.Add("router_aux", context.Layer, aux, 1f);
        return y;
    }
}
