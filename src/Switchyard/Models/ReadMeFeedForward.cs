using System.Text.Json;
using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Nn;
using Switchyard.Nn.Layers;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Routing.Scorers;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// Read-ME's refactorised feed-forward (arXiv 2410.19123; shared/specs/token-routers.md §15), MoE block kind
/// <c>read-me</c>: one dense SwiGLU FFN of width D_h (<c>gate_proj</c>, <c>up_proj</c>, <c>down_proj</c>, as the dense
/// model names them) whose hidden units are split by frozen masks (<c>slice_masks</c> [E + 1, D_h]) into an always-on
/// shared slice and E routed expert slices (<see cref="SliceExperts"/>): y = Shared(x) + Σ gate·Expert_e(x). Expert
/// extraction (<see cref="ExpertExtraction"/>, conversion <c>extract-experts</c>) fills the masks; a block that was
/// never converted has every unit shared and empty experts, i.e. it is the dense FFN.
/// </summary>
/// <remarks>
/// <para>Routing: the layer's catalog router (<c>switchyard.router</c>, default <c>switch</c>: a per-layer top-1 router
/// over the hidden state), or, with <c>block_options.shared_routing</c> (the default when the router is
/// <c>read-me</c>), Read-ME's pre-gating router: the first MoE layer's <c>read-me</c> router (<see cref="PreGateScorer"/>)
/// scores the token ids once per pass and every later layer's router is a parameter-free follower that reuses those
/// scores (<see cref="RouterState.SharedScores"/>), so all layers follow one route that is known before the backbone runs.</para>
/// <para>E = <c>num_experts</c>, D_h = the expert width (<c>moe_intermediate_size</c>, or Mixtral's <c>intermediate_size</c>).
/// The reported FLOPs per token (<see cref="MoeLayer.FlopsPerToken"/>) count the routed slices only, not the shared one.</para>
/// </remarks>
public sealed class ReadMeFeedForward : FeedForwardBlock
{
    /// <summary>The block kind's name in <see cref="MoeBlockCatalog"/>.</summary>
    public const string Name = "read-me";

    readonly RoutingContext _routing = new(new Rng(0));
    readonly AuxLossAccumulator _aux = new();
    readonly SliceExperts _experts;

    /// <summary>Builds layer <paramref name="layer"/>'s block of <paramref name="config"/>.</summary>
    /// <exception cref="InvalidConfigException">Bad block options, or shared routing with a router other than <c>read-me</c>.</exception>
    public ReadMeFeedForward(int layer, ModelConfig config, Rng rng, JsonElement? options)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(rng);
        string router = config.RouterFor(layer) ?? "switch";
        bool shared = router == "read-me";
        if (options is { } o && o.ValueKind != JsonValueKind.Null)
        {
            if (o.ValueKind != JsonValueKind.Object) throw BadOption("switchyard.block_options", "an object", o.GetRawText());
            foreach (JsonProperty p in o.EnumerateObject())
                shared = p.Name == "shared_routing"
                    ? p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False ? p.Value.GetBoolean() : throw BadOption("switchyard.block_options.shared_routing", "true or false", p.Value.GetRawText())
                    : throw BadOption($"switchyard.block_options.{p.Name}", "a known option", $"'{p.Name}'");
        }
        if (shared && router != "read-me") throw BadOption("switchyard.block_options.shared_routing", "false unless the router is \"read-me\" (the pre-gating router)", $"true with router \"{router}\"");
        int d = config.HiddenSize, width = config.ExpertIntermediateSize, experts = config.NumExperts;
        float std = (float)config.InitializerRange;
        HiddenSize = d;
        SharedRouting = shared;
        GateProj = AddModule("gate_proj", new Linear(d, width, rng, initStd: std));
        UpProj = AddModule("up_proj", new Linear(d, width, rng, initStd: std));
        DownProj = AddModule("down_proj", new Linear(width, d, rng, initStd: std));
        Parameter masks = AddParameter(new Parameter("slice_masks", new Shape(experts + 1, width)) { Trainable = false, WeightDecay = false });
        masks.Value.Span.Slice(experts * width, width).Fill(1f); // unconverted: every unit shared = the dense FFN
        _experts = new SliceExperts(GateProj.Weight, UpProj.Weight, DownProj.Weight, masks);
        Router r = shared && layer != FirstMoeLayer(config)
            ? new Router(PreGateScorer.Follower(experts), new TopKSelector(1))
            : config.RouterOptionsFor(layer) is { } json
                ? RouterCatalog.Create(router, new RouterSetup(d, experts, rng), json)
                : RouterCatalog.Create(router, new RouterSetup(d, experts, rng));
        Layer = new MoeLayer(r, _experts);
        foreach (var (name, child) in Layer.Children) AddModule(name, child);
    }

    static InvalidConfigException BadOption(string field, string expected, string found) =>
        new(null, field, $"{expected} (block \"{Name}\" takes: shared_routing: bool, default true when the router is \"read-me\")", found);

    static int FirstMoeLayer(ModelConfig config)
    {
        for (int i = 0; i < config.NumHiddenLayers; i++)
            if (config.LayerKind(i) == FeedForwardKind.Moe) return i;
        return -1;
    }

    /// <inheritdoc/>
    public override int HiddenSize { get; }

    /// <summary>Whether this layer follows the first MoE layer's pre-gating route (Read-ME) rather than routing itself.</summary>
    public bool SharedRouting { get; }

    /// <summary>The dense gate projection [D_h, d].</summary>
    public Linear GateProj { get; }

    /// <summary>The dense up projection [D_h, d].</summary>
    public Linear UpProj { get; }

    /// <summary>The dense down projection [d, D_h].</summary>
    public Linear DownProj { get; }

    /// <summary>The slices (experts and the shared row) over the dense weights.</summary>
    public SliceExperts Slices => _experts;

    /// <summary>The routed layer: router and slice experts.</summary>
    public MoeLayer Layer { get; }

    /// <inheritdoc/>
    public override IEnumerable<MoeLayer> RoutedLayers => [Layer];

    /// <inheritdoc/>
    public override Var Forward(Tape tape, Var x, in LayerContext context)
    {
        ArgumentNullException.ThrowIfNull(tape);
        _routing.TokenIds = context.TokenIds;
        _routing.Positions = context.Positions;
        _routing.SequenceLength = context.Seq;
        _routing.Layer = context.Layer;
        _routing.Training = context.Training;
        _routing.Rng = context.Rng;
        _routing.Step = context.Routing?.Step ?? 0;
        _routing.TotalSteps = context.Routing?.TotalSteps ?? 0;
        _routing.State = context.Routing?.State; // the pre-gate's scores travel from the first MoE layer to the others here
        MoeFeedForward.CopySideInformation(context.Routing, _routing);
        _aux.Clear();
        Var routed = Layer.Forward(tape, x, _routing, _aux);
        if (_aux.Total is { } aux) context.Losses.Add("router_aux", context.Layer, aux, 1f);
        Var flat = x.Shape.Rank == 2 ? x : tape.Reshape(x, new Shape(x.Shape.Size / HiddenSize, HiddenSize));
        Var common = _experts.Through(tape, flat, _experts.Units(_experts.Shared), _experts.DownTransposed(tape));
        if (x.Shape.Rank != 2) common = tape.Reshape(common, x.Shape);
        return tape.Add(routed, common);
    }
}
