using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Tensors;

namespace Switchyard.Routing.Scorers;

/// <summary>
/// Routing over a graph of tokens (Similarity-/Attention-Aware SMoE, arXiv 2505.00792, shared/specs/token-routers.md §7):
/// each token's expert distribution is a mixture of the gate distributions of the tokens of its sequence,
/// P̃ = S·G with G = softmax(X·W_gᵀ) [T, E] and S a causal (j ≤ i), row-stochastic T×T graph:
/// <list type="bullet">
/// <item><see cref="TokenGraph.Similarity"/>: S = causal row-softmax((X·W_sᵀ)(X·W_sᵀ)ᵀ/τ), W_s [d_s, d] learned;</item>
/// <item><see cref="TokenGraph.Attention"/>: S = the preceding attention block's causal attention probabilities, averaged
/// over heads, rebuilt from its queries and keys (<see cref="RouterState.Attention"/>: the fused attention kernel
/// does not keep them).</item>
/// </list>
/// Sequences are <see cref="RoutingContext.SequenceLength"/> consecutive items (0 = the whole call is one sequence).
/// </summary>
/// <remarks>
/// <para>The output is already a distribution per token (a mixture of softmaxes), not logits, so
/// <see cref="Activation"/> is <see cref="GateActivation.None"/>: the router ranks P̃ itself, normalised gates
/// divide the selected P̃ by their sum, and the load-balancing loss reads P̃ (the spec's "Switch aux on P̃"). A softmax
/// on top would flatten P̃ (all values in [0, 1]) towards uniform.</para>
/// <para>Parameters (under the MoE layer's <c>gate</c>): <c>weight</c> [E, d] (W_g, N(0, 0.02²)) and, for the similarity
/// graph, <c>similarity.weight</c> [d_s, d] (nn.Linear's spread, N(0, 1/(3d))). The attention graph stays on the tape
/// unless detached, so routing gradients also reach the attention's q/k projections.</para>
/// <para>Not usable one token at a time: a new token's row needs every earlier token's G and graph row, which the
/// inference engine does not keep (it refuses scorers with parameters of their own).</para>
/// </remarks>
public sealed class GraphMixScorer : Module, IScorer
{
    readonly Parameter _gate;
    readonly Parameter? _similarity;

    /// <summary>Creates the scorer.</summary>
    /// <param name="modelDim">Input width d.</param>
    /// <param name="experts">Experts E.</param>
    /// <param name="rng">Source of the initial weights.</param>
    /// <param name="graph">Which token graph mixes the gates.</param>
    /// <param name="projectionDim">d_s of the similarity projection (ignored for the attention graph).</param>
    /// <param name="temperature">τ of the similarity softmax; 0 = √d_s.</param>
    /// <param name="detachAttention">Use the attention graph as a constant (no routing gradient into the attention).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or τ is negative.</exception>
    public GraphMixScorer(int modelDim, int experts, Rng rng, TokenGraph graph, int projectionDim = 64, float temperature = 0f, bool detachAttention = false)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(modelDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(projectionDim);
        if (!(temperature >= 0) || !float.IsFinite(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "must be ≥ 0 (0 = √d_s)");
        ModelDim = modelDim;
        Experts = experts;
        Graph = graph;
        ProjectionDim = projectionDim;
        Temperature = temperature > 0 ? temperature : MathF.Sqrt(projectionDim);
        DetachAttention = detachAttention;
        _gate = AddParameter(new Parameter("weight", new Shape(experts, modelDim)));
        rng.FillNormal(_gate.Value.Span, 0.02f);
        if (graph == TokenGraph.Similarity)
        {
            var holder = AddModule("similarity", new ParameterHolder());
            _similarity = holder.Add(new Parameter("weight", new Shape(projectionDim, modelDim)));
            rng.FillNormal(_similarity.Value.Span, 1f / MathF.Sqrt(3f * modelDim));
        }
    }

    /// <summary>Input width d.</summary>
    public int ModelDim { get; }

    /// <inheritdoc/>
    public int Experts { get; }

    /// <summary>The token graph.</summary>
    public TokenGraph Graph { get; }

    /// <summary>d_s of the similarity projection.</summary>
    public int ProjectionDim { get; }

    /// <summary>τ of the similarity softmax (resolved: √d_s when 0 was given).</summary>
    public float Temperature { get; }

    /// <summary>Whether the attention graph enters as a constant.</summary>
    public bool DetachAttention { get; }

    /// <summary>The gate W_g [E, d].</summary>
    public Parameter Weight => _gate;

    /// <summary>The similarity projection W_s [d_s, d], or null for the attention graph.</summary>
    public Parameter? SimilarityWeight => _similarity;

    /// <inheritdoc/>
    public GateActivation Activation => GateActivation.None;

    /// <inheritdoc/>
    /// <exception cref="ShapeMismatchException">x is not [N, d].</exception>
    /// <exception cref="ArgumentException">N is not whole sequences of <see cref="RoutingContext.SequenceLength"/>.</exception>
    /// <exception cref="InvalidOperationException">The attention graph is asked for, but the context carries no attention queries/keys of this batch.</exception>
    public Var Score(Tape tape, Var x, RoutingContext context)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(context);
        if (x.Shape.Rank != 2 || x.Shape[1] != ModelDim)
            throw new ShapeMismatchException("GraphMixScorer input", $"[N, {ModelDim}]", x.Shape.ToString());
        int items = x.Shape.Rows, sequences = context.Sequences(items), seq = items / sequences;
        Var g = tape.Softmax(tape.Linear(x, _gate.Use(tape)));
        Var graph;
        if (Graph == TokenGraph.Similarity)
        {
            Var z = tape.Reshape(tape.Linear(x, _similarity!.Use(tape)), new Shape(sequences, seq, 1, ProjectionDim));
            graph = CausalGraph.Affinity(tape, z, z, 1f / Temperature);
        }
        else
        {
            AttentionInputs att = context.State?.Attention
                ?? throw new InvalidOperationException("the attention-aware router needs the preceding attention block's queries and keys "
                    + "(RoutingContext.State.Attention, set by DecoderModel's forward pass); this caller provides none (e.g. the inference engine)");
            Shape qs = att.Queries.Shape;
            if (qs.Rank != 4 || qs[0] != sequences || qs[1] != seq)
                throw new InvalidOperationException($"the attention queries {qs} are not of this batch ({sequences} sequences of {seq} tokens)");
            Var q = att.Queries, k = att.Keys;
            if (DetachAttention) { q = tape.Constant(q.Value); k = tape.Constant(k.Value); }
            graph = CausalGraph.Affinity(tape, q, k, att.Scale);
        }
        return CausalGraph.Mix(tape, graph, g);
    }

    // A named container so the projection reads similarity.weight.
    sealed class ParameterHolder : Module
    {
        public Parameter Add(Parameter p) => AddParameter(p);
    }
}
