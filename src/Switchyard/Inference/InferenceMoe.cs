using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Scorers;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Inference;

/// <summary>
/// One MoE feed-forward block at inference: router logits from the gate weight, selection by a
/// catalog router into a reused <see cref="RoutingPlan"/>, then per expert with routed rows: gather,
/// gate/up, SwiGLU, down, weighted scatter-add; plus the always-on shared expert and its sigmoid gate.
/// </summary>
internal sealed class InferenceMoe
{
    LogitsScorer? _scorer;

    public InferenceMoe(int layer, int experts, int modelDim, WeightMatrix? routerWeight)
    {
        Layer = layer;
        Experts = experts;
        ModelDim = modelDim;
        RouterWeight = routerWeight;
    }

    public int ModelDim { get; }

    public int Layer { get; }

    public int Experts { get; }

    /// <summary>The gate [E, d], or null when the layer's router does not score with one (hash routing).</summary>
    public WeightMatrix? RouterWeight { get; }

    /// <summary>A stored selection bias (<c>gate.e_score_correction_bias</c>), or empty.</summary>
    public ReadOnlyMemory<float> SelectionBias { get; init; }

    /// <summary>The shared expert, or null.</summary>
    public ExpertWeights? Shared { get; init; }

    /// <summary>The shared expert's gate [1, d], or null.</summary>
    public WeightMatrix? SharedGate { get; init; }

    /// <summary>The routed experts' weights as loaded (resident), by expert.</summary>
    public required ExpertWeights[] Resident { get; init; }

    /// <summary>Where each expert lies in the checkpoint, or null when the weights are not in a file.</summary>
    public ExpertLocation[]? Locations { get; init; }

    /// <summary>The router in use (selector of a catalog router, scores from <see cref="RouterWeight"/>).</summary>
    public Router Router { get; private set; } = null!;

    /// <summary>The plan of the last call.</summary>
    public RoutingPlan Plan { get; } = new();

    /// <summary>Uses <paramref name="router"/>'s selector (and its scorer unless it is a linear gate, whose scores come from the checkpoint).</summary>
    public void SetRouter(Router router)
    {
        if (router.Experts != Experts)
            throw new ArgumentException($"layer {Layer}: the router routes to {router.Experts} experts, the layer has {Experts}", nameof(router));
        if (router.Selector is TopKSelector { Bias: { } bias } && SelectionBias.Length == Experts)
            SelectionBias.Span.CopyTo(bias.Values);
        if (router.Scorer is LinearScorer ls)
        {
            if (RouterWeight is null)
                throw new InvalidOperationException($"layer {Layer}: the router scores with a linear gate and the checkpoint has no gate weight");
            _scorer = new LogitsScorer(Experts, ls.Activation);
            Router = new Router(_scorer, router.Selector);
        }
        else
        {
            _scorer = null;
            Router = new Router(router.Scorer, router.Selector);
        }
    }

    /// <summary>y[T, d] = MoE(x[T, d]) (overwrites y).</summary>
    public void Forward(Workspace ws, int tokens, IExpertWeightSource source, Tape tape, RoutingContext context)
    {
        int d = ModelDim;
        ReadOnlySpan<float> x = ws.Normed.AsSpan(0, tokens * d);
        Span<float> y = ws.Output.AsSpan(0, tokens * d);
        if (_scorer is not null)
        {
            RouterWeight!.Multiply(x, ws.RouterLogits.AsSpan(0, tokens * Experts), tokens);
            _scorer.Bind(ws.RouterLogits, tokens);
        }
        tape.Reset();
        using (tape.NoGrad())
        {
            ws.NormedTensor.Rebind(ws.Normed, 0, new Shape(tokens, d));
            Router.Route(tape, tape.Constant(ws.NormedTensor), context, Plan);
        }
        y.Clear();
        ReadOnlySpan<int> offsets = Plan.Offsets, items = Plan.Item;
        ReadOnlySpan<float> weights = Plan.Weight;
        for (int e = 0; e < Experts; e++)
        {
            int start = offsets[e], n = offsets[e + 1] - start;
            if (n == 0) continue;
            ExpertWeights w = source.Get(Layer, e);
            Span<float> rows = ws.Rows.AsSpan(0, n * d), outs = ws.ExpertOut.AsSpan(0, n * d);
            IndexSelect.Forward(x, items.Slice(start, n), rows, d);
            SwiGluFfn(w, rows, outs, n, ws);
            ScatterAdd.Rows(outs, items.Slice(start, n), weights.Slice(start, n), y, d);
        }
        if (Shared is { } shared)
        {
            Span<float> outs = ws.ExpertOut.AsSpan(0, tokens * d);
            SwiGluFfn(shared, x, outs, tokens, ws);
            if (SharedGate is { } gate)
            {
                Span<float> g = ws.SharedGate.AsSpan(0, tokens);
                gate.Multiply(x, g, tokens);
                Sigmoid.Forward(g, g);
                for (int t = 0; t < tokens; t++) Elementwise.Accumulate(outs.Slice(t * d, d), y.Slice(t * d, d), g[t]);
            }
            else Elementwise.Accumulate(outs, y);
        }
    }

    /// <summary>out[n, d] = down(silu(gate·x) ⊙ up·x) for x [n, d].</summary>
    public static void SwiGluFfn(ExpertWeights w, ReadOnlySpan<float> x, Span<float> output, int n, Workspace ws)
    {
        int f = w.Gate.Rows;
        Span<float> g = ws.Gate.AsSpan(0, n * f), u = ws.Up.AsSpan(0, n * f);
        w.Gate.Multiply(x, g, n);
        w.Up.Multiply(x, u, n);
        SwiGlu.Forward(g, u, g);
        w.Down.Multiply(g, output, n);
    }
}
