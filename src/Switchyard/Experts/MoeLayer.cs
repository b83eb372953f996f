using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Nn.Layers;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Routing.Scorers;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Experts;

/// <summary>
/// A Mixture-of-Experts feed-forward block: route → dispatch → experts → combine, plus optional
/// always-on shared experts. For x [N, d]: the router fills a <see cref="RoutingPlan"/> (grouped
/// by expert, gates on the tape); dispatch gathers the token rows into plan order [n, d]; the
/// expert set computes each row through its expert (grouped GEMMs); combine adds each token's
/// gate-weighted expert rows, y[t] = Σ_s g_s·E_{e_s}(x_t) + σ(x_t·w_sg)·S(x_t). Dropped
/// assignments contribute nothing: the residual connection outside passes such a token through.
/// </summary>
/// <remarks>
/// <para>Children, in Hugging Face order (names under the block's own name, <c>mlp</c> or
/// <c>block_sparse_moe</c>): <c>gate.weight</c> [E, d] (a linear router's W_g), <c>experts.{e}.*</c>,
/// <c>shared_expert.{gate,up,down}_proj.weight</c>, <c>shared_expert_gate.weight</c> [1, d].</para>
/// <para>One plan per layer is reused across steps: a warm step allocates nothing. Statistics of the
/// last call: <see cref="Statistics"/> (load, drops, entropy, aux losses) and <see cref="FlopsPerToken"/>.</para>
/// </remarks>
public sealed class MoeLayer : Module
{
    /// <summary>Composes a layer from a router, an expert set and optional shared experts.</summary>
    /// <param name="router">Routes to the expert set's E experts. A <see cref="LinearScorer"/>'s parameters (and a top-k selection bias) are registered under <c>gate</c>: <c>gate.weight</c>, <c>gate.e_score_correction_bias</c>.</param>
    /// <param name="experts">The routed experts; registered as child <c>experts</c> when it is a <see cref="Module"/>.</param>
    /// <param name="sharedExpert">Always-on SwiGLU expert(s) added outside the plan, or null.</param>
    /// <param name="sharedExpertGate">Linear(d → 1) whose sigmoid scales the shared output per token (Qwen2-MoE), or null.</param>
    /// <param name="sharedExpertName">Child name of the shared expert (<c>shared_expert</c>, DeepSeek <c>shared_experts</c>).</param>
    /// <exception cref="ArgumentException">Sizes do not agree, or a shared gate without a shared expert.</exception>
    public MoeLayer(Router router, IExpertSet experts, SwiGluMlp? sharedExpert = null, Linear? sharedExpertGate = null,
        string sharedExpertName = "shared_expert")
    {
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(experts);
        if (router.Experts != experts.Experts)
            throw new ArgumentException($"the router routes to {router.Experts} experts, the expert set has {experts.Experts}", nameof(experts));
        int d = experts.ModelDim;
        if (router.Scorer is LinearScorer ls && ls.ModelDim != d)
            throw new ArgumentException($"the router reads width {ls.ModelDim}, the experts {d}", nameof(router));
        if (sharedExpert is not null && sharedExpert.HiddenSize != d)
            throw new ArgumentException($"the shared expert has width {sharedExpert.HiddenSize}, the experts {d}", nameof(sharedExpert));
        if (sharedExpertGate is not null && (sharedExpert is null || sharedExpertGate.InFeatures != d || sharedExpertGate.OutFeatures != 1))
            throw new ArgumentException($"the shared expert gate must be Linear({d} → 1) next to a shared expert", nameof(sharedExpertGate));
        Router = router;
        Experts = experts;
        ModelDim = d;
        if (router.Scorer is LinearScorer scorer) AddModule("gate", new GateParameters(scorer, (router.Selector as TopKSelector)?.Bias));
        else if (router.Scorer is Module scorerModule) AddModule("gate", scorerModule);
        if (experts is Module m) AddModule("experts", m);
        if (sharedExpert is not null) SharedExpert = AddModule(sharedExpertName, sharedExpert);
        if (sharedExpertGate is not null) SharedExpertGate = AddModule("shared_expert_gate", sharedExpertGate);
    }

    /// <summary>Builds a layer from <paramref name="options"/>: catalog router (k scaled by the segmentation), SwiGLU experts, shared experts.</summary>
    /// <exception cref="ArgumentException">The width is not a multiple of the segmentation, or the router's k cannot be scaled.</exception>
    /// <exception cref="UnknownRouterException">No such router.</exception>
    /// <exception cref="InvalidRouterOptionException">A router option is out of range.</exception>
    public static MoeLayer Create(MoeLayerOptions options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rng);
        int m = options.Segments;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(m, nameof(options.Segments));
        if (options.ExpertWidth % m != 0)
            throw new ArgumentException($"expert width {options.ExpertWidth} is not a multiple of the segmentation {m}", nameof(options));
        object? routerOptions = m == 1 ? options.RouterOptions : Segment(options.Router, options.RouterOptions, m);
        Router router = RouterCatalog.Create(options.Router, new RouterSetup(options.ModelDim, options.RoutedExperts, rng) { TokenCounts = options.TokenCounts }, routerOptions);
        var experts = new SwiGluExperts(options.ModelDim, options.RoutedExperts, options.RoutedWidth, rng, options.InitStd, options.Naming);
        SwiGluMlp? shared = options.SharedWidth > 0 ? new SwiGluMlp(options.ModelDim, options.SharedWidth, rng, options.InitStd) : null;
        Linear? sharedGate = shared is not null && options.SharedExpertGate ? new Linear(options.ModelDim, 1, rng, initStd: options.InitStd) : null;
        return new MoeLayer(router, experts, shared, sharedGate, options.SharedExpertName);
    }

    // k·m of the E·m experts; expert choice keeps N·c assignments in total, so c scales instead.
    internal static object Segment(string router, object? options, int m)
    {
        object o = options ?? RouterCatalog.Get(router).Defaults;
        return o switch
        {
            TopKRouterOptions t => t with { K = t.K * m },
            SigmoidBiasRouterOptions s => s with { K = s.K * m },
            ExpertChoiceRouterOptions c => c with { CapacityFactor = c.CapacityFactor * m },
            _ => throw new ArgumentException($"router '{router}' has no k to scale for fine-grained segmentation", nameof(options)),
        };
    }

    /// <summary>The router (scorer, selector, balancers); its <see cref="Routing.Router.Statistics"/> describe the last call.</summary>
    public Router Router { get; }

    /// <summary>The routed experts.</summary>
    public IExpertSet Experts { get; }

    /// <summary>The shared expert(s), or null.</summary>
    public SwiGluMlp? SharedExpert { get; }

    /// <summary>The shared expert's per-token gate, or null.</summary>
    public Linear? SharedExpertGate { get; }

    /// <summary>Model width d.</summary>
    public int ModelDim { get; }

    /// <summary>The plan of the last call (reused; valid until the next call).</summary>
    public RoutingPlan Plan { get; } = new();

    /// <summary>Routing metrics of the last call (load, CV, drops, experts per token, entropy, aux losses).</summary>
    public RoutingStatistics Statistics => Router.Statistics;

    /// <summary>Forward FLOPs per token of the last call: routed assignments kept (dropped ones cost nothing) plus shared experts and a shared trunk (<see cref="ITrunkExpertSet"/>); router excluded.</summary>
    public double FlopsPerToken { get; private set; }

    /// <summary>Active expert parameters per token of the last call (routed kept assignments plus shared experts).</summary>
    public double ActiveParametersPerToken { get; private set; }

    /// <summary>
    /// y = MoE(x) for <paramref name="x"/> [N, d] or [B, T, d] (same shape out). The router's
    /// coefficient-weighted auxiliary loss is added to <paramref name="auxLosses"/> when given.
    /// </summary>
    /// <exception cref="ShapeMismatchException">x's last axis is not d.</exception>
    public Var Forward(Tape tape, Var x, RoutingContext context, AuxLossAccumulator? auxLosses = null)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(context);
        Shape shape = x.Shape;
        if (shape.Rank is not (2 or 3) || shape.Last != ModelDim)
            throw new ShapeMismatchException("MoeLayer input", $"[N, {ModelDim}] or [B, T, {ModelDim}]", shape.ToString());
        Var flat = shape.Rank == 2 ? x : tape.Reshape(x, new Shape(shape.Size / ModelDim, ModelDim));

        Var? aux = Router.Route(tape, flat, context, Plan);
        auxLosses?.Add(tape, aux);
        // Feature-modulated experts (MoFME) transform a trunk computed once per token, not the input itself.
        Var source = Experts is ITrunkExpertSet trunk ? trunk.Trunk(tape, flat) : flat;
        Var rows = tape.IndexSelect(source, Plan.Item);
        Var outs = Experts.Forward(tape, rows, Plan);
        Var? shared = SharedExpert?.Forward(tape, flat);
        Var? scale = SharedExpertGate is null ? null : tape.Sigmoid(SharedExpertGate.Forward(tape, flat));
        Var y = MoeCombine.Apply(tape, outs, Plan.Gates!, Plan, shared, scale);
        Account();
        return shape.Rank == 2 ? y : tape.Reshape(y, shape);
    }

    void Account()
    {
        int tokens = Plan.Items;
        ReadOnlySpan<int> off = Plan.Offsets;
        double flops = 0, parameters = 0;
        for (int e = 0; e + 1 < off.Length; e++)
        {
            int rows = off[e + 1] - off[e];
            flops += (double)rows * Experts.FlopsPerRow(e);
            parameters += (double)rows * Experts.ParametersPerRow(e);
        }
        if (Experts is ITrunkExpertSet trunk)
        {
            flops += (double)tokens * trunk.TrunkFlopsPerToken;
            parameters += (double)tokens * trunk.TrunkParameters;
        }
        if (SharedExpert is not null)
        {
            double sharedParams = 3.0 * ModelDim * SharedExpert.IntermediateSize + (SharedExpertGate is null ? 0 : ModelDim);
            flops += tokens * 2 * sharedParams;
            parameters += tokens * sharedParams;
        }
        FlopsPerToken = tokens == 0 ? 0 : flops / tokens;
        ActiveParametersPerToken = tokens == 0 ? 0 : parameters / tokens;
    }

    // HF's "gate" is nn.Linear(d, E, bias=False) — "weight" [E, d] — and, for DeepSeek-V3, also holds the
    // frozen selection bias "e_score_correction_bias" [E]. The same Parameter objects as the scorer's.
    sealed class GateParameters : Module
    {
        public GateParameters(LinearScorer scorer, ExpertBias? bias)
        {
            foreach (Parameter p in scorer.OwnParameters) AddParameter(p);
            if (bias is not null) AddParameter(bias.Parameter);
        }
    }
}
