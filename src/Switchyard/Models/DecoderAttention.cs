using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Nn;
using Switchyard.Nn.Layers;
using Switchyard.Routing;
using Switchyard.Routing.Scorers;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// Grouped-query causal self-attention with RoPE covering the model family's variants:
/// children <c>q_proj</c>, <c>k_proj</c>, <c>v_proj</c>, <c>o_proj</c>, and <c>q_norm</c>/<c>k_norm</c>
/// either per head (Qwen3, width head_dim) or over the whole projection (OLMoE, widths
/// heads·head_dim and kv_heads·head_dim); biases on q/k/v (Qwen2) or on all four
/// (<c>attention_bias</c>); OLMoE's <c>clip_qkv</c> and Granite's score scale.
/// </summary>
/// <remarks>
/// Order of operations as in transformers: project, (full norm), clip, reshape to heads,
/// (per-head norm), RoPE, attention. <see cref="Nn.Layers.CausalSelfAttention"/> is the plain
/// Llama/Qwen3 block; this one exists because OLMoE's and Granite's variants change the math.
/// </remarks>
public sealed class DecoderAttention : Module
{
    /// <summary>Creates the block for <paramref name="config"/> with N(0, initializer_range²) projections.</summary>
    public DecoderAttention(ModelConfig config, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(rng);
        HiddenSize = config.HiddenSize;
        NumHeads = config.NumAttentionHeads;
        NumKvHeads = config.KeyValueHeads;
        HeadDim = config.EffectiveHeadDim;
        RopeTheta = (float)config.RopeTheta;
        Scale = config.AttentionMultiplier is { } m ? (float)m : 1f / MathF.Sqrt(HeadDim);
        Clip = config.ClipQkv is { } c ? (float)c : null;
        QkNorm = config.QkNorm;
        float std = (float)config.InitializerRange, eps = (float)config.RmsNormEps;
        bool qkvBias = config.AttentionBias || (config.Preset?.ImplicitQkvBias ?? false);
        int q = NumHeads * HeadDim, kv = NumKvHeads * HeadDim;
        QProj = AddModule("q_proj", new Linear(HiddenSize, q, rng, qkvBias, std));
        KProj = AddModule("k_proj", new Linear(HiddenSize, kv, rng, qkvBias, std));
        VProj = AddModule("v_proj", new Linear(HiddenSize, kv, rng, qkvBias, std));
        OProj = AddModule("o_proj", new Linear(q, HiddenSize, rng, config.AttentionBias, std));
        if (QkNorm == QkNormKind.PerHead)
        {
            QNorm = AddModule("q_norm", new RmsNorm(HeadDim, eps));
            KNorm = AddModule("k_norm", new RmsNorm(HeadDim, eps));
        }
        else if (QkNorm == QkNormKind.FullProjection)
        {
            QNorm = AddModule("q_norm", new RmsNorm(q, eps));
            KNorm = AddModule("k_norm", new RmsNorm(kv, eps));
        }
    }

    /// <summary>
    /// Attends within each of <paramref name="batch"/> sequences of <paramref name="seq"/> tokens of
    /// <paramref name="x"/> [batch·seq, d], row r at RoPE position <paramref name="positions"/>[r]; returns [batch·seq, d].
    /// </summary>
    /// <exception cref="ShapeMismatchException">x does not hold batch·seq rows of width d.</exception>
    /// <exception cref="InvalidOperationException">Head selection is on: it needs the layer context (<see cref="DecoderLayer"/>'s forward).</exception>
    public Var Forward(Tape tape, Var x, int batch, int seq, ReadOnlySpan<int> positions)
    {
        if (HeadRouter is not null)
            throw new InvalidOperationException("selective head attention routes with the layer context: run it through DecoderLayer.Forward");
        return Forward(tape, x, batch, seq, positions, out _, out _);
    }

    /// <summary>
    /// The attention of the decoder layer's pass: as <see cref="Forward(Tape, Var, int, int, ReadOnlySpan{int})"/>, with
    /// selective heads when <see cref="HeadRouter"/> is set (aux losses to <paramref name="context"/>), and the queries and
    /// keys published on the routing state (<see cref="RouterState.Attention"/>) for routers that use the attention graph.
    /// </summary>
    internal Var Forward(Tape tape, Var x, in LayerContext context)
    {
        Var o = Forward(tape, x, context.Batch, context.Seq, context.Positions.Span, out Var q, out Var k, HeadRouter is null ? null : context);
        if (context.Routing?.State is { } state) state.Attention = new AttentionInputs(q, k, Scale);
        return o;
    }

    Var Forward(Tape tape, Var x, int batch, int seq, ReadOnlySpan<int> positions, out Var queries, out Var keys, LayerContext? heads = null)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        int rows = batch * seq;
        if (x.Shape.Rank != 2 || x.Shape[0] != rows || x.Shape[1] != HiddenSize)
            throw new ShapeMismatchException("DecoderAttention", $"[{rows}, {HiddenSize}]", x.Shape.ToString());
        Var q = QProj.Forward(tape, x), k = KProj.Forward(tape, x), v = VProj.Forward(tape, x);
        if (QkNorm == QkNormKind.FullProjection)
        {
            q = QNorm!.Forward(tape, q);
            k = KNorm!.Forward(tape, k);
        }
        if (Clip is { } c)
        {
            q = tape.Clamp(q, -c, c);
            k = tape.Clamp(k, -c, c);
            v = tape.Clamp(v, -c, c);
        }
        q = tape.Reshape(q, new Shape(batch, seq, NumHeads, HeadDim));
        k = tape.Reshape(k, new Shape(batch, seq, NumKvHeads, HeadDim));
        v = tape.Reshape(v, new Shape(batch, seq, NumKvHeads, HeadDim));
        if (QkNorm == QkNormKind.PerHead)
        {
            q = QNorm!.Forward(tape, q);
            k = KNorm!.Forward(tape, k);
        }
        q = tape.Rope(q, positions, RopeTheta);
        k = tape.Rope(k, positions, RopeTheta);
        queries = q;
        keys = k;
        Var o = tape.CausalAttention(q, k, v, Scale);
        if (heads is { } context) return SelectHeads(tape, x, o, context);
        return OProj.Forward(tape, tape.Reshape(o, new Shape(rows, NumHeads * HeadDim)));
    }

    /// <summary>
    /// Turns on Selective Multi-Head Attention (UoE, arXiv 2503.02495): heads are experts, <paramref name="router"/>
    /// (causal, one decision per token) picks heads per token, and only the selected heads' outputs, through their
    /// W_O column slices, weighted by the gates, make the output. The router's parameters are registered as child
    /// <c>head_gate</c>. Off by default; what it skips is only W_O of unselected heads (q, k, v and the attention of
    /// every head are still computed by the fused kernel).
    /// </summary>
    /// <exception cref="ArgumentException">The router does not route to the heads or is not causal, or o_proj is not a plain bias-free linear layer.</exception>
    /// <exception cref="InvalidOperationException">Head selection is already on.</exception>
    public void EnableHeadSelection(Router router)
    {
        ArgumentNullException.ThrowIfNull(router);
        if (HeadRouter is not null) throw new InvalidOperationException("head selection is already on");
        if (router.Experts != NumHeads) throw new ArgumentException($"the head router routes to {router.Experts} experts, the attention has {NumHeads} heads", nameof(router));
        if (!router.IsCausal) throw new ArgumentException("the head router must be causal (one decision per token)", nameof(router));
        if (OProj is not Linear { Bias: null })
            throw new ArgumentException("selective heads need o_proj to be a plain linear layer without bias (a bias is added once, not per head)", nameof(router));
        HeadRouter = router;
        if (router.Scorer is LinearScorer scorer) AddModule("head_gate", new HeadGateParameters(scorer));
        else if (router.Scorer is Module m) AddModule("head_gate", m);
    }

    /// <summary>The per-token head router of Selective Multi-Head Attention, or null (all heads, the default).</summary>
    public Router? HeadRouter { get; private set; }

    /// <summary>The head plan of the last pass (heads = experts), when <see cref="HeadRouter"/> is set.</summary>
    public RoutingPlan HeadPlan => _headPlan ??= new RoutingPlan();

    RoutingPlan? _headPlan;
    RoutingContext? _headRouting;

    // o [B, T, H, D] → Σ over the token's selected heads h of g·W_O[:, S_h]·o_h.
    Var SelectHeads(Tape tape, Var x, Var o, LayerContext context)
    {
        var routing = _headRouting ??= new RoutingContext(context.Rng);
        routing.TokenIds = context.TokenIds;
        routing.Positions = context.Positions;
        routing.SequenceLength = context.Seq;
        routing.Layer = context.Layer;
        routing.Training = context.Training;
        routing.Rng = context.Rng;
        RoutingPlan plan = HeadPlan;
        Var? aux = HeadRouter!.Route(tape, x, routing, plan);
        if (aux is not null) context.Losses.Add("head_router_aux", context.Layer, aux, 1f);
        ReadOnlySpan<int> item = plan.Item, expert = plan.Expert;
        Span<int> flat = tape.AllocateInts(plan.Count, zero: false).Span;
        for (int s = 0; s < flat.Length; s++) flat[s] = item[s] * NumHeads + expert[s];
        Var rows = tape.IndexSelect(tape.Reshape(o, new Shape(context.Rows * NumHeads, HeadDim)), flat);
        Var outs = HeadProjection.Apply(tape, rows, ((Linear)OProj).Weight.Use(tape), plan);
        return MoeCombine.Apply(tape, outs, plan.Gates!, plan, null, null);
    }

    // The head router's linear gate under head_gate (weight [H, d]): the same Parameter objects as the scorer's.
    sealed class HeadGateParameters : Module
    {
        public HeadGateParameters(LinearScorer scorer)
        {
            foreach (Parameter p in scorer.OwnParameters) AddParameter(p);
        }
    }

    /// <inheritdoc/>
    protected override void OnChildReplaced(string name, Module child)
    {
        int q = NumHeads * HeadDim, kv = NumKvHeads * HeadDim;
        switch (name)
        {
            case "q_proj": QProj = DenseFeedForward.Check(child, name, HiddenSize, q); break;
            case "k_proj": KProj = DenseFeedForward.Check(child, name, HiddenSize, kv); break;
            case "v_proj": VProj = DenseFeedForward.Check(child, name, HiddenSize, kv); break;
            case "o_proj": OProj = DenseFeedForward.Check(child, name, q, HiddenSize); break;
            default: base.OnChildReplaced(name, child); break;
        }
    }

    /// <summary>Model width.</summary>
    public int HiddenSize { get; }

    /// <summary>Query heads.</summary>
    public int NumHeads { get; }

    /// <summary>Key/value heads.</summary>
    public int NumKvHeads { get; }

    /// <summary>Width per head.</summary>
    public int HeadDim { get; }

    /// <summary>RoPE base.</summary>
    public float RopeTheta { get; }

    /// <summary>Score scale (1/√head_dim, or Granite's attention_multiplier).</summary>
    public float Scale { get; }

    /// <summary>OLMoE's clamp bound on q, k, v, or null.</summary>
    public float? Clip { get; }

    /// <summary>The q/k norm variant.</summary>
    public QkNormKind QkNorm { get; }

    /// <summary>Query projection.</summary>
    public ILinearLayer QProj { get; private set; }

    /// <summary>Key projection.</summary>
    public ILinearLayer KProj { get; private set; }

    /// <summary>Value projection.</summary>
    public ILinearLayer VProj { get; private set; }

    /// <summary>Output projection.</summary>
    public ILinearLayer OProj { get; private set; }

    /// <summary>Query norm, or null.</summary>
    public RmsNorm? QNorm { get; }

    /// <summary>Key norm, or null.</summary>
    public RmsNorm? KNorm { get; }
}
