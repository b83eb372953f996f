using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Tensors;

namespace Switchyard.Routing.Scorers;

/// <summary>
/// RMoE's layerwise recurrent router (arXiv 2408.06793, shared/specs/token-routers.md §3): each token
/// carries a GRU state along depth, from one MoE layer's router to the next. Layer l computes
/// u = x·W_projᵀ (per-layer projection to the recurrent size p), h_l = GRUCell(u, h_{l−1}) with h_0 = 0,
/// and logits s_l = h_l·W_gᵀ [N, E]. The previous state comes from <see cref="RoutingContext.State"/>
/// (<see cref="RouterState.Hidden"/>), and h_l is written back there: the model resets it per forward pass
/// and dense layers pass it through untouched. The state stays on the tape (not detached), so every later
/// layer's loss reaches the earlier routers, which the paper credits for part of the gain.
/// </summary>
/// <remarks>
/// Parameters (registered under the MoE layer's <c>gate</c>): <c>proj.weight</c> [p, d],
/// <c>gru.weight_ih</c> [3p, p], <c>gru.weight_hh</c> [3p, p], <c>gru.bias_ih</c>, <c>gru.bias_hh</c> [3p]
/// (PyTorch <c>GRUCell</c> layout, gate blocks r, z, n), <c>weight</c> [E, p]. Each layer owns its GRU
/// cell: the reference shares one cell across layers; here every layer's router is built on its own.
/// Without a state (no <see cref="RoutingContext.State"/>, or one from a batch of another size) h_{l−1} = 0.
/// </remarks>
public sealed class RecurrentScorer : Module, IScorer
{
    readonly Parameter _proj, _weightIh, _weightHh, _biasIh, _biasHh, _weight;

    /// <summary>Creates the router: projection and output gate ~ N(0, <paramref name="initStd"/>²), GRU as PyTorch (U(±1/√p)).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public RecurrentScorer(int modelDim, int experts, int hidden, Rng rng, float initStd = 0.02f)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(modelDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        ModelDim = modelDim;
        Experts = experts;
        Hidden = hidden;
        var proj = AddModule("proj", new ParameterHolder());
        _proj = proj.Add(new Parameter("weight", new Shape(hidden, modelDim)));
        var gru = AddModule("gru", new ParameterHolder());
        _weightIh = gru.Add(new Parameter("weight_ih", new Shape(3 * hidden, hidden)));
        _weightHh = gru.Add(new Parameter("weight_hh", new Shape(3 * hidden, hidden)));
        _biasIh = gru.Add(new Parameter("bias_ih", new Shape(3 * hidden)));
        _biasHh = gru.Add(new Parameter("bias_hh", new Shape(3 * hidden)));
        _weight = AddParameter(new Parameter("weight", new Shape(experts, hidden)));
        rng.FillNormal(_proj.Value.Span, initStd);
        float bound = 1f / MathF.Sqrt(hidden);
        foreach (Parameter p in new[] { _weightIh, _weightHh, _biasIh, _biasHh }) rng.FillUniform(p.Value.Span, -bound, bound);
        rng.FillNormal(_weight.Value.Span, initStd);
    }

    /// <summary>Input width d.</summary>
    public int ModelDim { get; }

    /// <inheritdoc/>
    public int Experts { get; }

    /// <summary>Recurrent size p.</summary>
    public int Hidden { get; }

    /// <inheritdoc/>
    public GateActivation Activation => GateActivation.Softmax;

    /// <inheritdoc/>
    /// <exception cref="ShapeMismatchException">x is not [N, d].</exception>
    public Var Score(Tape tape, Var x, RoutingContext context)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(context);
        if (x.Shape.Rank != 2 || x.Shape[1] != ModelDim)
            throw new ShapeMismatchException("RecurrentScorer input", $"[N, {ModelDim}]", x.Shape.ToString());
        Var? previous = context.State?.Hidden;
        if (previous is not null && previous.Shape != new Shape(x.Shape.Rows, Hidden)) previous = null;
        var (logits, h) = Step(tape, x, previous, _proj.Use(tape), _weightIh.Use(tape), _weightHh.Use(tape), _biasIh.Use(tape), _biasHh.Use(tape), _weight.Use(tape));
        if (context.State is { } state) state.Hidden = h;
        return logits;
    }

    /// <summary>One layer of the recurrence: (logits = h·Wᵀ, h = GRU(x·W_projᵀ, h_prev or 0)). A composition of gradient-checked tape ops.</summary>
    internal static (Var Logits, Var Hidden) Step(Tape tape, Var x, Var? previous, Var proj, Var weightIh, Var weightHh, Var biasIh, Var biasHh, Var weight)
    {
        Var u = tape.Linear(x, proj);
        previous ??= tape.Constant(tape.Allocate(new Shape(x.Shape.Rows, proj.Shape[0]), zero: true));
        Var h = tape.GruCell(u, previous, weightIh, weightHh, biasIh, biasHh);
        return (tape.Linear(h, weight), h);
    }

    // A named container so the parameters read proj.weight, gru.weight_ih, … as in the reference.
    sealed class ParameterHolder : Module
    {
        public Parameter Add(Parameter p) => AddParameter(p);
    }
}
