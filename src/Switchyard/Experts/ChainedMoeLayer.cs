using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Routing;
using Switchyard.Tensors;

namespace Switchyard.Experts;

/// <summary>
/// Chain-of-Experts (arXiv 2506.18945, shared/specs/token-routers.md §6): one expert pool applied C times in
/// sequence, each iteration t with its own router over the current state, x⁽ᵗ⁾ = Σ_{i∈S_t} g_{t,i}·E_i(x⁽ᵗ⁻¹⁾) + I_r·x⁽ᵗ⁻¹⁾.
/// Experts see other experts' outputs; depth grows with C at the same parameters and the FLOPs of C·k experts.
/// </summary>
/// <remarks>
/// <para>With the inner residual (I_r = 1, the paper's default) the block returns x⁽ᶜ⁾ − x⁽⁰⁾ = Σ_t y_t, the sum of the
/// iterations' expert outputs (accumulated directly, so no subtraction rounds): the decoder layer's own residual
/// adds x⁽⁰⁾ back once. One iteration is then exactly a plain <see cref="MoeLayer"/>. Without it (the "outer
/// residual" ablation), x⁽ᵗ⁾ = y_t and the block returns x⁽ᶜ⁾.</para>
/// <para>Each iteration's router adds its own auxiliary loss (summed, as the reference). Children: the routers'
/// scorers that are modules as <c>gate</c> (iteration 0, the Hugging Face name) and <c>gate_{t}</c>, and <c>experts</c>.
/// One plan per iteration (<see cref="Plans"/>), reused across calls.</para>
/// </remarks>
public sealed class ChainedMoeLayer : Module
{
    readonly Router[] _routers;
    readonly RoutingPlan[] _plans;

    /// <summary>Chains <paramref name="routers"/>.Count iterations over <paramref name="experts"/>.</summary>
    /// <exception cref="ArgumentException">No router, or a router's expert count differs from the expert set's.</exception>
    public ChainedMoeLayer(IReadOnlyList<Router> routers, IExpertSet experts, bool innerResidual = true)
    {
        ArgumentNullException.ThrowIfNull(routers);
        ArgumentNullException.ThrowIfNull(experts);
        if (routers.Count == 0) throw new ArgumentException("needs at least one iteration (one router)", nameof(routers));
        _routers = [.. routers];
        for (int t = 0; t < _routers.Length; t++)
        {
            ArgumentNullException.ThrowIfNull(_routers[t], nameof(routers));
            if (_routers[t].Experts != experts.Experts)
                throw new ArgumentException($"iteration {t}'s router routes to {_routers[t].Experts} experts, the expert set has {experts.Experts}", nameof(routers));
            if (_routers[t].Scorer is Module m) AddModule(t == 0 ? "gate" : $"gate_{t}", m);
        }
        _plans = [.. _routers.Select(_ => new RoutingPlan())];
        Experts = experts;
        InnerResidual = innerResidual;
        ModelDim = experts.ModelDim;
        if (experts is Module e) AddModule("experts", e);
    }

    /// <summary>Iterations C.</summary>
    public int Iterations => _routers.Length;

    /// <summary>The routers, one per iteration.</summary>
    public IReadOnlyList<Router> Routers => _routers;

    /// <summary>The shared expert pool.</summary>
    public IExpertSet Experts { get; }

    /// <summary>Whether each iteration adds its input back (I_r = 1).</summary>
    public bool InnerResidual { get; }

    /// <summary>Model width d.</summary>
    public int ModelDim { get; }

    /// <summary>The plans of the last call, one per iteration (<c>plan[iteration]</c>).</summary>
    public IReadOnlyList<RoutingPlan> Plans => _plans;

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
        for (int t = 0; t < _routers.Length; t++)
        {
            RoutingPlan plan = _plans[t];
            Var? aux = _routers[t].Route(tape, state, context, plan); // not inside ?.: routing must run without an accumulator too
            auxLosses?.Add(tape, aux);
            Var outs = Experts.Forward(tape, tape.IndexSelect(state, plan.Item), plan);
            Var y = MoeCombine.Apply(tape, outs, plan.Gates!, plan, null, null);
            sum = t == 0 ? y : tape.Add(sum, y);
            state = InnerResidual ? tape.Add(state, y) : y;
        }
        return InnerResidual ? sum : state;
    }
}
