using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Tensors;

namespace Switchyard.Experts;

/// <summary>
/// Chain-of-Experts (arXiv 2506.18945, shared/specs/token-routers.md §6): one expert pool applied C times in
/// sequence, each iteration t with its own router over the current state, x⁽ᵗ⁾ = Σ_{i∈S_t} g_{t,i}·E_i(x⁽ᵗ⁻¹⁾) + I_r·x⁽ᵗ⁻¹⁾.
/// Experts see other experts' outputs; depth grows with C at the same parameters and the FLOPs of C·k experts.
/// </summary>
/// <remarks>
/// <para>Each iteration is a full <see cref="MoeLayer"/> (<see cref="Layers"/>: router, plan, statistics and
/// FLOPs of its own) over the one shared expert pool and shared experts, as the reference re-applies the whole MoE
/// block (routed + shared experts) in every iteration.</para>
/// <para>With the inner residual (I_r = 1, the paper's default) the block returns x⁽ᶜ⁾ − x⁽⁰⁾ = Σ_t y_t, the sum of the
/// iterations' expert outputs (accumulated directly, so no subtraction rounds): the decoder layer's own residual
/// adds x⁽⁰⁾ back once. One iteration is then exactly a plain <see cref="MoeLayer"/>. Without it (the "outer
/// residual" ablation), x⁽ᵗ⁾ = y_t and the block returns x⁽ᶜ⁾.</para>
/// <para>Each iteration's router adds its own auxiliary loss (summed, as the reference). Children: iteration 0's
/// (<c>gate</c>, <c>experts</c>, <c>shared_expert</c>, … — a plain MoE layer's Hugging Face names), then each later
/// iteration's gate as <c>gate_{t}</c>. With a shared gate (the ablation) every iteration scores with iteration 0's
/// scorer: its weight is listed once, as <c>gate.weight</c>.</para>
/// </remarks>
public sealed class ChainedMoeLayer : Module
{
    readonly MoeLayer[] _layers;

    /// <summary>Chains <paramref name="routers"/>.Count iterations over <paramref name="experts"/>.</summary>
    /// <exception cref="ArgumentException">No router, or a router's expert count differs from the expert set's.</exception>
    public ChainedMoeLayer(IReadOnlyList<Router> routers, IExpertSet experts, bool innerResidual = true)
        : this(LayersOf(routers, experts), innerResidual)
    {
    }

    /// <summary>Chains <paramref name="iterations"/> (one <see cref="MoeLayer"/> per iteration, all over one expert set and the same shared experts).</summary>
    /// <exception cref="ArgumentException">No iteration, or the iterations do not share their experts.</exception>
    public ChainedMoeLayer(IReadOnlyList<MoeLayer> iterations, bool innerResidual = true)
    {
        ArgumentNullException.ThrowIfNull(iterations);
        if (iterations.Count == 0) throw new ArgumentException("needs at least one iteration", nameof(iterations));
        _layers = [.. iterations];
        MoeLayer first = _layers[0] ?? throw new ArgumentNullException(nameof(iterations));
        for (int t = 1; t < _layers.Length; t++)
        {
            MoeLayer layer = _layers[t] ?? throw new ArgumentNullException(nameof(iterations));
            if (!ReferenceEquals(layer.Experts, first.Experts) || !ReferenceEquals(layer.SharedExpert, first.SharedExpert)
                || !ReferenceEquals(layer.SharedExpertGate, first.SharedExpertGate))
                throw new ArgumentException($"iteration {t} does not share iteration 0's expert pool and shared experts", nameof(iterations));
        }
        foreach (var (name, child) in first.Children) AddModule(name, child);
        for (int t = 1; t < _layers.Length; t++)
            foreach (var (name, child) in _layers[t].Children)
                if (name == "gate") AddModule($"gate_{t}", child); // a shared scorer's parameters are listed once, under gate
        InnerResidual = innerResidual;
    }

    static MoeLayer[] LayersOf(IReadOnlyList<Router> routers, IExpertSet experts)
    {
        ArgumentNullException.ThrowIfNull(routers);
        ArgumentNullException.ThrowIfNull(experts);
        if (routers.Count == 0) throw new ArgumentException("needs at least one iteration (one router)", nameof(routers));
        var layers = new MoeLayer[routers.Count];
        for (int t = 0; t < layers.Length; t++)
        {
            Router router = routers[t] ?? throw new ArgumentNullException(nameof(routers));
            if (router.Experts != experts.Experts)
                throw new ArgumentException($"iteration {t}'s router routes to {router.Experts} experts, the expert set has {experts.Experts}", nameof(routers));
            layers[t] = new MoeLayer(router, experts);
        }
        return layers;
    }

    /// <summary>
    /// Builds CoE-C from <paramref name="options"/>: iteration 0 exactly as <see cref="MoeLayer.Create"/> (same random
    /// draws, so one iteration is that layer), then C − 1 more catalog routers with the same options over its experts.
    /// </summary>
    /// <param name="options">Router, experts and shared experts, as for <see cref="MoeLayer.Create"/>.</param>
    /// <param name="iterations">C ≥ 1.</param>
    /// <param name="rng">Initialisation draws.</param>
    /// <param name="innerResidual">I_r = 1 (the paper); false: the outer-residual ablation.</param>
    /// <param name="sharedGate">Every iteration scores with iteration 0's scorer (the shared-gate ablation); selectors and
    /// balancers stay per iteration, so each still has its own statistics and auxiliary loss.</param>
    /// <exception cref="ArgumentOutOfRangeException">C &lt; 1.</exception>
    public static ChainedMoeLayer Create(MoeLayerOptions options, int iterations, Rng rng, bool innerResidual = true, bool sharedGate = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        MoeLayer first = MoeLayer.Create(options, rng);
        var layers = new MoeLayer[iterations];
        layers[0] = first;
        object? routerOptions = options.Segments == 1 ? options.RouterOptions : MoeLayer.Segment(options.Router, options.RouterOptions, options.Segments);
        var setup = new RouterSetup(options.ModelDim, options.RoutedExperts, rng) { TokenCounts = options.TokenCounts };
        for (int t = 1; t < iterations; t++)
        {
            Router router = RouterCatalog.Create(options.Router, setup, routerOptions);
            if (sharedGate)
                router = new Router(first.Router.Scorer, router.Selector, [.. router.Balancers]) { NullExperts = router.NullExperts };
            layers[t] = new MoeLayer(router, first.Experts, first.SharedExpert, first.SharedExpertGate, options.SharedExpertName);
        }
        return new ChainedMoeLayer(layers, innerResidual);
    }

    /// <summary>Iterations C.</summary>
    public int Iterations => _layers.Length;

    /// <summary>The iterations, each a <see cref="MoeLayer"/> over the shared pool (its router, plan, statistics, FLOPs of the last call).</summary>
    public IReadOnlyList<MoeLayer> Layers => _layers;

    /// <summary>The routers, one per iteration.</summary>
    public IReadOnlyList<Router> Routers => [.. _layers.Select(l => l.Router)];

    /// <summary>The shared expert pool.</summary>
    public IExpertSet Experts => _layers[0].Experts;

    /// <summary>Whether each iteration adds its input back (I_r = 1).</summary>
    public bool InnerResidual { get; }

    /// <summary>Whether the iterations score with one shared scorer (the shared-gate ablation).</summary>
    public bool SharedGate => _layers.Length > 1 && _layers.Skip(1).All(l => ReferenceEquals(l.Router.Scorer, _layers[0].Router.Scorer));

    /// <summary>Model width d.</summary>
    public int ModelDim => _layers[0].ModelDim;

    /// <summary>The plans of the last call, one per iteration (<c>plan[iteration]</c>).</summary>
    public IReadOnlyList<RoutingPlan> Plans => [.. _layers.Select(l => l.Plan)];

    /// <summary>Forward FLOPs per token of the last call: the iterations' sum (C dispatches of k experts).</summary>
    public double FlopsPerToken => _layers.Sum(l => l.FlopsPerToken);

    /// <summary>The block output for <paramref name="x"/> [N, d] (see the remarks); each iteration's auxiliary loss goes to <paramref name="auxLosses"/>.</summary>
    /// <exception cref="ShapeMismatchException">x is not [N, d].</exception>
    public Var Forward(Tape tape, Var x, RoutingContext context, AuxLossAccumulator? auxLosses = null)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(context);
        if (x.Shape.Rank != 2 || x.Shape.Last != ModelDim)
            throw new ShapeMismatchException("ChainedMoeLayer input", $"[N, {ModelDim}]", x.Shape.ToString());
        Var state = x, sum = x;
        for (int t = 0; t < _layers.Length; t++)
        {
            Var y = _layers[t].Forward(tape, state, context, auxLosses);
            sum = t == 0 ? y : tape.Add(sum, y);
            // The last state is only needed as the output of the outer-residual form.
            if (t + 1 < _layers.Length || !InnerResidual) state = InnerResidual ? tape.Add(state, y) : y;
        }
        return InnerResidual ? sum : state;
    }
}
