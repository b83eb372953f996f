using System.Text.Json;
using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Routing;
using Switchyard.Routing.Balancers;
using Switchyard.Routing.Catalog;
using Switchyard.Routing.Scorers;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// The Union-of-Experts block (arXiv 2503.02495, shared/specs/token-routers.md §9; config
/// <c>"switchyard": { "block": "uoe", "block_options": { … } }</c>): the MLP is one dense SwiGLU of width E·w decomposed
/// into E slice experts (<see cref="DenseSliceExperts"/>, UoME with token-choice routing by the layer's catalog router), and,
/// with <c>heads_k</c> &gt; 0, the layer's attention selects heads per token (Selective Multi-Head Attention,
/// <see cref="DecoderAttention.EnableHeadSelection"/>; the decoder layer wires it).
/// </summary>
/// <remarks>
/// <para>Block options: <c>slices</c> E (default <c>num_local_experts</c>), <c>slice_width</c> w (default the expert width),
/// <c>heads_k</c> heads per token (0 = all heads, no head router), <c>heads_aux_alpha</c> load-balance α of the head router
/// (default 0.01). The slice router is the layer's router (<c>switchyard.router</c>, k from <c>num_experts_per_tok</c>
/// unless its options set it). Head gates are the selected heads' renormalised probabilities times <c>heads_k</c>, so the
/// mean gate is 1 (all heads on under a uniform router = plain attention).</para>
/// <para>Children are the MoE layer's (<c>gate</c>, <c>experts.gate_proj</c>, <c>experts.up_proj</c>, <c>experts.down_proj</c>):
/// the dense MLP's tensors under <c>experts</c>. <see cref="ModelConversions"/>' <c>decompose-dense</c> fills them from a dense model.</para>
/// </remarks>
public sealed class UoeFeedForward : FeedForwardBlock
{
    /// <summary>The block kind's name in <see cref="MoeBlockCatalog"/>.</summary>
    public const string BlockName = "uoe";

    static readonly string[] s_options = ["slices", "slice_width", "heads_k", "heads_aux_alpha"];

    readonly MoeFeedForward _inner;

    UoeFeedForward(MoeLayer layer, Router? headRouter)
    {
        _inner = new MoeFeedForward(layer);
        foreach (var (name, child) in layer.Children) AddModule(name, child);
        HeadRouter = headRouter;
    }

    /// <summary>Builds the block of layer <paramref name="layer"/> from the config and its <c>block_options</c>.</summary>
    /// <exception cref="InvalidConfigException">An option is unknown, mistyped or out of range.</exception>
    /// <exception cref="UnknownRouterException">The layer names an unknown router.</exception>
    /// <exception cref="InvalidRouterOptionException">A router option is out of range.</exception>
    public static UoeFeedForward Create(int layer, ModelConfig config, Rng rng, JsonElement? options)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(rng);
        int slices = config.NumExperts, width = config.ExpertIntermediateSize, headsK = 0;
        float headsAlpha = 0.01f;
        if (options is { } o)
        {
            if (o.ValueKind != JsonValueKind.Object) throw Bad("", "an object of options", o.GetRawText());
            foreach (JsonProperty p in o.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "slices": slices = Int(p, 1); break;
                    case "slice_width": width = Int(p, 1); break;
                    case "heads_k": headsK = Int(p, 0); break;
                    case "heads_aux_alpha":
                        headsAlpha = p.Value.ValueKind == JsonValueKind.Number && p.Value.GetDouble() is >= 0 and var a && double.IsFinite(a)
                            ? (float)a : throw Bad(".heads_aux_alpha", "a number ≥ 0", p.Value.GetRawText());
                        break;
                    default: throw Bad("." + p.Name, $"one of {string.Join(", ", s_options)}", $"'{p.Name}'");
                }
            }
        }
        if (headsK > config.NumAttentionHeads) throw Bad(".heads_k", $"at most the {config.NumAttentionHeads} attention heads (0 = all)", headsK.ToString(System.Globalization.CultureInfo.InvariantCulture));
        string router = config.RouterFor(layer) ?? "top-k";
        RouterEntry entry = RouterCatalog.Get(router);
        JsonElement? json = config.RouterOptionsFor(layer);
        object routerOptions = json is { } j ? entry.ParseOptions(j) : entry.Defaults;
        bool explicitK = json is { ValueKind: JsonValueKind.Object } jk && jk.TryGetProperty("k", out _);
        if (routerOptions is TopKRouterOptions t && router == "top-k" && !explicitK && config.NumExpertsPerTok > 0) routerOptions = t with { K = config.NumExpertsPerTok };
        Router slicesRouter = RouterCatalog.Create(router, new RouterSetup(config.HiddenSize, slices, rng), routerOptions);
        var experts = new DenseSliceExperts(config.HiddenSize, slices, width, rng, (float)config.InitializerRange);
        Router? heads = null;
        if (headsK > 0)
        {
            heads = new Router(new LinearScorer(config.HiddenSize, config.NumAttentionHeads, rng, (float)config.InitializerRange),
                new TopKSelector(headsK) { Normalize = true, Scale = headsK }, headsAlpha > 0 ? [new LoadBalancingLoss(headsAlpha)] : []);
        }
        return new UoeFeedForward(new MoeLayer(slicesRouter, experts), heads);

        int Int(JsonProperty p, int min) =>
            p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out int v) && v >= min ? v
                : throw Bad("." + p.Name, $"an integer ≥ {min}", p.Value.GetRawText());
        static InvalidConfigException Bad(string field, string expected, string found) =>
            new(null, "switchyard.block_options" + field, expected + $" (block \"{BlockName}\" options: {string.Join(", ", s_options)})", found);
    }

    /// <summary>The MoE layer over the slice experts.</summary>
    public MoeLayer Layer => _inner.Layer;

    /// <summary>The slice experts (the decomposed dense MLP).</summary>
    public DenseSliceExperts Slices => (DenseSliceExperts)_inner.Layer.Experts;

    /// <summary>The head router the decoder layer hands to its attention (Selective Multi-Head Attention), or null when all heads run.</summary>
    public Router? HeadRouter { get; }

    /// <inheritdoc/>
    public override int HiddenSize => _inner.HiddenSize;

    /// <inheritdoc/>
    public override IEnumerable<MoeLayer> RoutedLayers => [_inner.Layer];

    /// <inheritdoc/>
    public override Var Forward(Tape tape, Var x, in LayerContext context) => _inner.Forward(tape, x, context);
}
