using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Nn.Layers;

/// <summary>
/// Grouped-query causal self-attention with rotary position embeddings, as Llama / Qwen:
/// children <c>q_proj</c> [heads·headDim, hidden], <c>k_proj</c> and <c>v_proj</c>
/// [kvHeads·headDim, hidden], <c>o_proj</c> [hidden, heads·headDim], and with
/// <c>qkNorm</c> (Qwen3) per-head <c>q_norm</c>/<c>k_norm</c> RMS norms over headDim applied
/// before RoPE.
/// </summary>
public sealed class CausalSelfAttention : Module
{
    // Positions 0..seq-1 per sequence, kept across steps so a step allocates nothing.
    int[] _positions = [];
    int _positionsSeq;

    /// <summary>Creates the block with N(0, initStd²) projection weights.</summary>
    /// <param name="hiddenSize">Model width.</param>
    /// <param name="numHeads">Query heads.</param>
    /// <param name="numKvHeads">Key/value heads; must divide <paramref name="numHeads"/>.</param>
    /// <param name="headDim">Width per head (even, for RoPE).</param>
    /// <param name="rng">Source of initial weights.</param>
    /// <param name="ropeTheta">RoPE base (HF <c>rope_theta</c>).</param>
    /// <param name="qkNorm">Adds Qwen3's q_norm / k_norm.</param>
    /// <param name="bias">Biases on q/k/v (Qwen2); o_proj never has one.</param>
    /// <param name="normEps">ε of the q/k norms.</param>
    /// <param name="initStd">Standard deviation of initial weights.</param>
    /// <exception cref="ArgumentException">Head counts or headDim are inconsistent.</exception>
    public CausalSelfAttention(int hiddenSize, int numHeads, int numKvHeads, int headDim, Rng rng,
        float ropeTheta = 10000f, bool qkNorm = false, bool bias = false, float normEps = 1e-6f, float initStd = 0.02f)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numHeads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numKvHeads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        if (numHeads % numKvHeads != 0)
            throw new ArgumentException($"numHeads {numHeads} is not a multiple of numKvHeads {numKvHeads}", nameof(numKvHeads));
        if (headDim % 2 != 0) throw new ArgumentException($"headDim {headDim} must be even for RoPE", nameof(headDim));
        if (!(ropeTheta > 0)) throw new ArgumentOutOfRangeException(nameof(ropeTheta), ropeTheta, "must be > 0");
        HiddenSize = hiddenSize;
        NumHeads = numHeads;
        NumKvHeads = numKvHeads;
        HeadDim = headDim;
        RopeTheta = ropeTheta;
        QProj = AddModule("q_proj", new Linear(hiddenSize, numHeads * headDim, rng, bias, initStd));
        KProj = AddModule("k_proj", new Linear(hiddenSize, numKvHeads * headDim, rng, bias, initStd));
        VProj = AddModule("v_proj", new Linear(hiddenSize, numKvHeads * headDim, rng, bias, initStd));
        OProj = AddModule("o_proj", new Linear(numHeads * headDim, hiddenSize, rng, false, initStd));
        if (qkNorm)
        {
            QNorm = AddModule("q_norm", new RmsNorm(headDim, normEps));
            KNorm = AddModule("k_norm", new RmsNorm(headDim, normEps));
        }
    }

    /// <summary>
    /// Attends within each of <paramref name="batch"/> sequences of <paramref name="seq"/>
    /// tokens; token t of a sequence has RoPE position t. <paramref name="x"/> is
    /// [batch·seq, hidden] or [batch, seq, hidden]; the result has x's shape.
    /// </summary>
    /// <exception cref="ShapeMismatchException">x does not hold batch·seq rows of width hidden.</exception>
    public Var Forward(Tape tape, Var x, int batch, int seq)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seq);
        int rows = batch * seq;
        if (x.Shape.Last != HiddenSize || x.Shape.Size != rows * HiddenSize)
            throw new ShapeMismatchException("CausalSelfAttention", $"[{batch}·{seq}, {HiddenSize}]", x.Shape.ToString());
        var q = tape.Reshape(QProj.Forward(tape, x), new Shape(batch, seq, NumHeads, HeadDim));
        var k = tape.Reshape(KProj.Forward(tape, x), new Shape(batch, seq, NumKvHeads, HeadDim));
        var v = tape.Reshape(VProj.Forward(tape, x), new Shape(batch, seq, NumKvHeads, HeadDim));
        if (QNorm is not null) q = QNorm.Forward(tape, q);
        if (KNorm is not null) k = KNorm.Forward(tape, k);
        ReadOnlySpan<int> positions = Positions(batch, seq);
        q = tape.Rope(q, positions, RopeTheta);
        k = tape.Rope(k, positions, RopeTheta);
        var o = tape.CausalAttention(q, k, v);
        o = tape.Reshape(o, x.Shape.Rank == 3 ? new Shape(batch, seq, NumHeads * HeadDim) : new Shape(rows, NumHeads * HeadDim));
        return OProj.Forward(tape, o);
    }

    ReadOnlySpan<int> Positions(int batch, int seq)
    {
        int rows = batch * seq;
        if (_positions.Length < rows || _positionsSeq != seq)
        {
            // Grow only; a change of sequence length refills the same array.
            if (_positions.Length < rows) _positions = new int[rows];
            for (int i = 0; i < _positions.Length; i++) _positions[i] = i % seq;
            _positionsSeq = seq;
        }
        return _positions.AsSpan(0, rows);
    }

    /// <inheritdoc/>
    protected override void OnChildReplaced(string name, Module child)
    {
        int q = NumHeads * HeadDim, kv = NumKvHeads * HeadDim;
        switch (name)
        {
            case "q_proj": QProj = LinearSlot.Check(child, name, HiddenSize, q); break;
            case "k_proj": KProj = LinearSlot.Check(child, name, HiddenSize, kv); break;
            case "v_proj": VProj = LinearSlot.Check(child, name, HiddenSize, kv); break;
            case "o_proj": OProj = LinearSlot.Check(child, name, q, HiddenSize); break;
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

    /// <summary>Query projection.</summary>
    public ILinearLayer QProj { get; private set; }

    /// <summary>Key projection.</summary>
    public ILinearLayer KProj { get; private set; }

    /// <summary>Value projection.</summary>
    public ILinearLayer VProj { get; private set; }

    /// <summary>Output projection.</summary>
    public ILinearLayer OProj { get; private set; }

    /// <summary>Per-head query norm (Qwen3), or null.</summary>
    public RmsNorm? QNorm { get; }

    /// <summary>Per-head key norm (Qwen3), or null.</summary>
    public RmsNorm? KNorm { get; }
}
