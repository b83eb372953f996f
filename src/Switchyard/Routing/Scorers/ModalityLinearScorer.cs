using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Routing.Pools;
using Switchyard.Tensors;

namespace Switchyard.Routing.Scorers;

/// <summary>
/// MoIIE's modality routers (arXiv 2508.09779, reference flags <c>vis_router</c> / <c>lan_router</c>): one linear gate
/// W_m [E, d] per modality, <c>s_t = x_t·W_{m(t)}ᵀ</c>, with the experts outside the token's candidate set
/// <c>Intra[m(t)] ∪ Inter</c> masked (to −∞ in effect) <em>before</em> the softmax, so the probabilities are a softmax over
/// the candidates only. The modality comes from <see cref="ModalityPools.PoolOf"/>.
/// </summary>
/// <remarks>
/// A <see cref="Module"/> with one <see cref="LinearScorer"/> child per modality, named by the modality
/// (<c>text.weight</c>, <c>task.weight</c> [E, d] under the MoE layer's <c>gate</c>). Each gate scores all rows and a
/// row mask keeps the rows of its modality: M small GEMMs of E columns, negligible beside the experts.
/// </remarks>
public sealed class ModalityLinearScorer : Module, IScorer
{
    readonly LinearScorer[] _gates;
    readonly Var[] _weights; // this step's weight Vars, reused so a warm step allocates nothing

    /// <summary>Creates one gate per modality of <paramref name="pools"/>, each W ~ N(0, <paramref name="initStd"/>²).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The width is not positive.</exception>
    public ModalityLinearScorer(int modelDim, ModalityPools pools, Rng rng, float initStd = 0.02f)
    {
        ArgumentNullException.ThrowIfNull(pools);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(modelDim);
        ModelDim = modelDim;
        Pools = pools;
        _gates = new LinearScorer[pools.Pools];
        _weights = new Var[pools.Pools];
        for (int m = 0; m < _gates.Length; m++) _gates[m] = AddModule(pools.PoolName(m), new LinearScorer(modelDim, pools.Experts, rng, initStd));
    }

    /// <summary>Input width d.</summary>
    public int ModelDim { get; }

    /// <summary>The modality pools (candidate sets).</summary>
    public ModalityPools Pools { get; }

    /// <summary>The gate of modality <paramref name="modality"/>.</summary>
    public LinearScorer Gate(int modality) => _gates[modality];

    /// <inheritdoc/>
    public int Experts => Pools.Experts;

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
            throw new ShapeMismatchException("ModalityLinearScorer input", $"[N, {ModelDim}]", x.Shape.ToString());
        for (int m = 0; m < _gates.Length; m++) _weights[m] = _gates[m].Weight.Use(tape);
        return Scores(tape, x, _weights, Pools, context);
    }

    /// <summary>Masked per-modality logits from the gates' weights [E, d] (one per pool): a composition of gradient-checked tape ops.</summary>
    internal static Var Scores(Tape tape, Var x, ReadOnlySpan<Var> weights, IExpertPools pools, RoutingContext context)
    {
        int items = x.Shape.Rows, experts = pools.Experts;
        Span<int> pool = items <= 4096 ? stackalloc int[items] : new int[items];
        for (int i = 0; i < items; i++) pool[i] = pools.PoolOf(context, i);
        Var? s = null;
        for (int m = 0; m < weights.Length; m++)
        {
            if (!pool.Contains(m)) continue; // no row of this modality: its gate gets no gradient, as it should
            Tensor rows = tape.Allocate(new Shape(items, experts), zero: true);
            Span<float> r = rows.Span;
            for (int i = 0; i < items; i++)
                if (pool[i] == m) r.Slice(i * experts, experts).Fill(1f);
            Var part = tape.Mul(tape.Linear(x, weights[m]), tape.Constant(rows));
            s = s is null ? part : tape.Add(s, part);
        }
        s ??= tape.Constant(tape.Allocate(new Shape(items, experts), zero: true)); // no items
        return PoolMask.Apply(tape, s, pools, context);
    }
}
