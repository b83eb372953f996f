using Switchyard.Autograd;
using Switchyard.Routing.Gating;
using Switchyard.Tensors;

namespace Switchyard.Routing;

/// <summary>
/// A router is a composition: a <see cref="IScorer"/> (features → scores), an
/// <see cref="ISelector"/> (scores → assignment) and any number of <see cref="IBalancer"/>s
/// (auxiliary losses, bias updates, statistics). One router per MoE layer; it owns that
/// layer's <see cref="Statistics"/>.
/// </summary>
/// <example>
/// <code>
/// var router = new Router(new LinearScorer(d, 8, rng), new TopKSelector(2, normalize: true),
///     new LoadBalancingLoss(0.01f), new RouterZLoss(0.001f));
/// Var? aux = router.Route(tape, x, context, plan); // plan: grouped by expert, gates on the tape
/// </code>
/// </example>
public sealed class Router
{
    readonly IBalancer[] _balancers;

    /// <summary>Composes a router.</summary>
    /// <exception cref="ArgumentNullException">A part is null.</exception>
    public Router(IScorer scorer, ISelector selector, params IBalancer[] balancers)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(selector);
        ArgumentNullException.ThrowIfNull(balancers);
        foreach (var b in balancers) ArgumentNullException.ThrowIfNull(b, nameof(balancers));
        Scorer = scorer;
        Selector = selector;
        _balancers = (IBalancer[])balancers.Clone();
    }

    /// <summary>The scorer.</summary>
    public IScorer Scorer { get; }

    /// <summary>The selector.</summary>
    public ISelector Selector { get; }

    /// <summary>The balancers, in the order their losses are added.</summary>
    public IReadOnlyList<IBalancer> Balancers => _balancers;

    /// <summary>Number of true experts E the expert set serves: the scorer's columns minus <see cref="NullExperts"/>.</summary>
    public int Experts => Scorer.Experts - NullExperts;

    /// <summary>
    /// Null experts (AdaMoE): the last <see cref="NullExperts"/> of the scorer's columns are experts that
    /// output 0 at no cost. Selecting one is recorded in the plan but never dispatched (<see cref="RoutingPlan.NullExperts"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, or leaves no true expert.</exception>
    public int NullExperts
    {
        get;
        init => field = value >= 0 && value < Scorer.Experts ? value
            : throw new ArgumentOutOfRangeException(nameof(NullExperts), value, $"must be in [0, {Scorer.Experts}) for a scorer of {Scorer.Experts} columns");
    }

    /// <summary>False when routing an item looks at later items of the batch (expert choice).</summary>
    public bool IsCausal => Selector.IsCausal;

    /// <summary>
    /// An additive offset on the logits (test-time rerouting, <see cref="RouterLogitOffset"/>), applied after the
    /// scorer and before the activation; null (the default) = none. Attach and detach freely: the router keeps no copy.
    /// </summary>
    /// <exception cref="ArgumentException">The offset's width is not the scorer's column count.</exception>
    public RouterLogitOffset? LogitOffset
    {
        get;
        set => field = value is null || value.Experts == Scorer.Experts ? value
            : throw new ArgumentException($"the offset has {value.Experts} columns, the scorer {Scorer.Experts}", nameof(LogitOffset));
    }

    /// <summary>
    /// The dense routing probabilities [N, E] of the last <see cref="Route"/> call (the activation of the logits, before
    /// selection), on that call's tape: valid until the tape is reset. Null before the first call.
    /// </summary>
    public Var? Probabilities { get; private set; }

    /// <summary>Metrics of the last <see cref="Route"/> call.</summary>
    public RoutingStatistics Statistics { get; } = new();

    /// <summary>
    /// Routes the items <paramref name="x"/> [N, d]: scores them, selects into
    /// <paramref name="plan"/> (finished, with <see cref="RoutingPlan.Gates"/> on the tape),
    /// updates <see cref="Statistics"/>, and returns the sum of the balancers' coefficient-weighted
    /// auxiliary losses (a scalar Var to add to the training loss), or null when there are none.
    /// </summary>
    /// <exception cref="ShapeMismatchException">The scorer's output is not [N, E].</exception>
    public Var? Route(Tape tape, Var x, RoutingContext context, RoutingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(plan);
        int experts = Scorer.Experts, items = x.Shape.Rows; // all columns: true and null experts
        Var logits = Scorer.Score(tape, x, context);
        ShapeMismatchException.ThrowIf(logits.Shape != new Shape(items, experts), "Router scores", new Shape(items, experts), logits.Shape);
        if (LogitOffset is { } offset) logits = offset.Apply(tape, logits, context);
        Var probs = Scorer.Activation switch
        {
            GateActivation.Softmax => tape.Softmax(logits),
            GateActivation.Sigmoid => tape.Sigmoid(logits),
            _ => logits,
        };
        Probabilities = probs;

        plan.Begin(items, experts - NullExperts, NullExperts);
        Selector.Select(probs.Value, context, plan);
        context.Override?.Apply(context, plan);
        plan.Finish();
        plan.AttachGates(Gates(tape, probs, plan, Selector.Gate));

        Statistics.Compute(plan, probs.Value);
        var input = new BalancerInput(logits, probs, plan, context, Selector);
        Var? aux = null;
        foreach (IBalancer b in _balancers)
        {
            Var? loss = b.Loss(tape, input, Statistics);
            if (loss is not null) aux = aux is null ? loss : tape.Add(aux, loss);
        }
        return aux;
    }

    /// <summary>Lets balancers update state after the optimizer step (auxiliary-loss-free bias). Call once per optimizer step.</summary>
    public void AfterOptimizerStep()
    {
        foreach (IBalancer b in _balancers) b.AfterOptimizerStep();
    }

    /// <summary>The differentiable gate values [n] of a finished plan, in grouped order.</summary>
    public static Var Gates(Tape tape, Var probabilities, RoutingPlan plan, GateSpec spec)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(plan);
        int n = plan.Count, experts = plan.Slots; // row stride of the probabilities
        if (spec.Weighting == GateWeighting.Constant)
        {
            Var c = tape.NewVar(new Shape(n), requiresGrad: false);
            c.Value.Span.Fill(spec.Scale);
            return c;
        }
        ReadOnlySpan<int> item = plan.Item, expert = plan.Expert;
        Span<int> flat = tape.AllocateInts(n, zero: false).Span;
        for (int j = 0; j < n; j++) flat[j] = item[j] * experts + expert[j];
        if (spec.Weighting == GateWeighting.Probability)
            return GateGather.Apply(tape, probabilities, flat, default, default, default, spec.Scale);
        if (spec.Weighting == GateWeighting.StraightThrough)
        {
            // p·(scale/p) with scale/p a constant: two gradient-checked ops, value scale up to one rounding.
            Var p = GateGather.Apply(tape, probabilities, flat, default, default, default, 1f);
            Var inverse = tape.NewVar(new Shape(n), requiresGrad: false);
            ReadOnlySpan<float> pv = p.Value.Span;
            Span<float> iv = inverse.Value.Span;
            for (int j = 0; j < n; j++) iv[j] = spec.Scale / Math.Max(pv[j], float.Epsilon);
            return tape.Mul(p, inverse);
        }

        Span<int> den;
        ReadOnlySpan<int> denOffsets;
        if (spec.RenormalizeAfterDrop)
        {
            denOffsets = plan.ItemOffsets;
            ReadOnlySpan<int> slots = plan.ItemSlot;
            den = tape.AllocateInts(n, zero: false).Span;
            for (int m = 0; m < n; m++) den[m] = flat[slots[m]];
        }
        else
        {
            denOffsets = plan.SelectedOffsets;
            ReadOnlySpan<int> sel = plan.SelectedExpert;
            den = tape.AllocateInts(sel.Length, zero: false).Span;
            for (int i = 0; i < plan.Items; i++)
                for (int m = denOffsets[i]; m < denOffsets[i + 1]; m++) den[m] = i * experts + sel[m];
        }
        return GateGather.Apply(tape, probabilities, flat, item, denOffsets, den, spec.Scale);
    }
}
