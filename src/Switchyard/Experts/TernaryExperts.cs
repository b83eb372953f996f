using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Routing;
using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Experts;

/// <summary>
/// E SwiGLU experts with ternary weights trained by quantisation-aware training (MoTE, arXiv 2506.14435;
/// shared/specs/token-routers.md §18b; the quantiser is BitNet b1.58's). The latent weights are float32
/// (stored, named and initialised exactly as <see cref="SwiGluExperts"/>); every forward uses, per matrix
/// (each expert's gate, up and down projection), Ŵ = α·clip(round(W/α), −1, 1) with α = mean|W|, and
/// fake-quantises each row's activations (the expert input and the SwiGLU hidden) to signed
/// <see cref="ActivationBits"/>-bit integers with a per-row absmax scale. The backward pass is the
/// straight-through estimator: both quantisers pass gradients unchanged (∂Ŵ/∂W := I, ∂x̂/∂x := I), so
/// dW = dŴ accumulates into the latent weights and the row gradient is dx̂.
/// </summary>
/// <remarks>
/// <para>Only experts that received rows are quantised in a call (compute follows routing); the grouped
/// GEMMs are <see cref="SwiGluExperts"/>'s. Checkpoints hold the latent weights under the usual names
/// (<c>experts.{e}.gate_proj.weight</c>, …); <see cref="StorageBytes"/> counts what a ternary export stores.</para>
/// <para>STE as in BitNet's reference: y = x + (q(x) − x).detach(). Rounding is to even, as <c>torch.round</c>.</para>
/// </remarks>
public sealed class TernaryExperts : Module, IExpertSet
{
    /// <summary>Bits per ternary weight as the paper counts them (log₂ 3).</summary>
    public const double BitsPerWeight = 1.58;

    // BitNet clamps both scales away from 0 (w.abs().mean().clamp(min=1e-5), x.abs().max().clamp(min=1e-5)).
    const float MinScale = 1e-5f;

    readonly TernaryExpertsOp _op = new();

    /// <summary>Creates E experts with latent weights ~ N(0, initStd²), drawn as <see cref="SwiGluExperts"/> draws them.</summary>
    /// <param name="modelDim">Model width d.</param>
    /// <param name="experts">Number of experts E.</param>
    /// <param name="width">Inner width F of each expert.</param>
    /// <param name="rng">Source of the initial latent weights.</param>
    /// <param name="initStd">Standard deviation of the initial latent weights.</param>
    /// <param name="naming">How the per-expert latent weights are named.</param>
    /// <param name="activationBits">Bits of the per-row activation quantiser (BitNet: 8); 0 = activations stay float.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the activation bits are not 0 or 2..16.</exception>
    public TernaryExperts(int modelDim, int experts, int width, Rng rng, float initStd = 0.02f, ExpertNaming naming = ExpertNaming.Projections,
        int activationBits = 8)
    {
        if (activationBits != 0 && activationBits is < 2 or > 16)
            throw new ArgumentOutOfRangeException(nameof(activationBits), activationBits, "must be 0 (off) or 2..16");
        Latent = new SwiGluExperts(modelDim, experts, width, rng, initStd, naming);
        foreach (var (name, child) in Latent.Children) AddModule(name, child);
        ActivationBits = activationBits;
    }

    /// <summary>The latent float32 weights (stacks and per-expert named views).</summary>
    public SwiGluExperts Latent { get; }

    /// <inheritdoc/>
    public int Experts => Latent.Experts;

    /// <inheritdoc/>
    public int ModelDim => Latent.ModelDim;

    /// <summary>Inner width F of each expert.</summary>
    public int Width => Latent.Width;

    /// <summary>Bits of the activation quantiser (0 = off).</summary>
    public int ActivationBits { get; }

    /// <inheritdoc/>
    public long FlopsPerRow(int expert) => 2L * 3 * ModelDim * Width;

    /// <inheritdoc/>
    public long ParametersPerRow(int expert) => 3L * ModelDim * Width;

    /// <summary>Bytes a ternary export of all experts takes: <see cref="BitsPerWeight"/> per weight plus one float32 scale per matrix.</summary>
    public double StorageBytes => Experts * (3.0 * ModelDim * Width * BitsPerWeight / 8 + 3 * sizeof(float));

    /// <summary>
    /// q = α·clip(round(w/α), −1, 1) with α = max(mean|w|, 1e-5) over the whole span (one matrix); returns α.
    /// Every q is −α, 0 or +α.
    /// </summary>
    public static float Ternarize(ReadOnlySpan<float> w, Span<float> q)
    {
        if (q.Length != w.Length) throw new ArgumentException($"q has {q.Length} entries, w {w.Length}", nameof(q));
        double sum = 0;
        for (int i = 0; i < w.Length; i++) sum += Math.Abs(w[i]);
        float alpha = Math.Max(w.Length == 0 ? 0f : (float)(sum / w.Length), MinScale);
        float inv = 1f / alpha;
        for (int i = 0; i < w.Length; i++) q[i] = alpha * Math.Clamp(MathF.Round(w[i] * inv), -1f, 1f);
        return alpha;
    }

    /// <summary>
    /// Per row of <paramref name="cols"/> entries: s = max(absmax, 1e-5)/Q with Q = 2^(bits−1) − 1, q = s·clip(round(x/s), −Q−1, Q)
    /// (BitNet's 8-bit absmax quantiser for bits = 8).
    /// </summary>
    public static void QuantizeRows(ReadOnlySpan<float> x, Span<float> q, int cols, int bits)
    {
        if (q.Length != x.Length) throw new ArgumentException($"q has {q.Length} entries, x {x.Length}", nameof(q));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        float levels = (1 << (bits - 1)) - 1;
        for (int r = 0; r + cols <= x.Length; r += cols)
        {
            ReadOnlySpan<float> row = x.Slice(r, cols);
            float max = 0f;
            foreach (float v in row) max = Math.Max(max, Math.Abs(v));
            float scale = levels / Math.Max(max, MinScale), inv = 1f / scale;
            Span<float> o = q.Slice(r, cols);
            for (int c = 0; c < cols; c++) o[c] = Math.Clamp(MathF.Round(row[c] * scale), -levels - 1, levels) * inv;
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ShapeMismatchException">rows is not [plan.Count, d] or the plan has another number of experts.</exception>
    public Var Forward(Tape tape, Var rows, RoutingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(plan);
        int n = plan.Count, d = ModelDim, f = Width, experts = Experts;
        ShapeMismatchException.ThrowIf(rows.Shape != new Shape(n, d), "TernaryExperts rows", new Shape(n, d), rows.Shape);
        if (plan.Experts != experts)
            throw new ShapeMismatchException("TernaryExperts plan", $"{experts} experts", $"{plan.Experts} experts");
        bool trainable = AnyTrainable();
        Var gateUp = trainable ? tape.Leaf(Latent.GateUp, Latent.GateUpGrad) : tape.Constant(Latent.GateUp);
        Var down = trainable ? tape.Leaf(Latent.Down, Latent.DownGrad) : tape.Constant(Latent.Down);
        bool grad = tape.NeedsGrad(rows, gateUp, down);
        ReadOnlySpan<int> offsets = plan.Offsets;

        // Ŵ for the experts that have rows; the other slices are never read by the grouped GEMMs.
        Tensor qGateUp = tape.Allocate(Latent.GateUp.Shape, zero: false), qDown = tape.Allocate(Latent.Down.Shape, zero: false);
        int fd = f * d;
        for (int e = 0; e < experts; e++)
        {
            if (offsets[e + 1] == offsets[e]) continue;
            for (int m = 0; m < 2; m++)
                Ternarize(Latent.GateUp.Span.Slice((2 * e + m) * fd, fd), qGateUp.Span.Slice((2 * e + m) * fd, fd));
            Ternarize(Latent.Down.Span.Slice(e * fd, fd), qDown.Span.Slice(e * fd, fd));
        }
        Tensor xq = Quantized(tape, rows.Value, d);
        Tensor gu = tape.Allocate(new Shape(n, 2 * f), zero: false);
        GroupedGemm.Multiply(xq.Span, qGateUp.Span, gu.Span, offsets, 2 * f, d, transB: true);
        Tensor h = tape.Allocate(new Shape(n, f), zero: false);
        unsafe
        {
            fixed (float* pgu = gu.Span, ph = h.Span)
                ExpertKernels.SwiGluRows(pgu, ph, n, f, Simd.Best, ParallelRunner.Threads);
        }
        Tensor hq = ActivationBits == 0 ? h : Quantized(tape, h, f);
        Var y = tape.NewVar(new Shape(n, d), grad);
        GroupedGemm.Multiply(hq.Span, qDown.Span, y.Value.Span, offsets, d, f, transB: true);
        if (grad)
        {
            TapeNode node = tape.Record(_op, [rows, gateUp, down], [y]).Save(xq).Save(qGateUp).Save(qDown).Save(gu).Save(hq);
            node.Ints = tape.CopyInts(offsets);
            node.Int0 = f;
            node.Int1 = d;
        }
        return y;
    }

    Tensor Quantized(Tape tape, Tensor x, int cols)
    {
        if (ActivationBits == 0) return x;
        Tensor q = tape.Allocate(x.Shape, zero: false);
        QuantizeRows(x.Span, q.Span, cols, ActivationBits);
        return q;
    }

    bool AnyTrainable()
    {
        for (int e = 0; e < Experts; e++)
        {
            SwiGluExpertView v = Latent.Expert(e);
            if (v.Gate.Trainable || v.Up.Trainable || v.Down.Trainable) return true;
        }
        return false;
    }

    /// <summary>
    /// Straight-through backward: the gradients of the quantised weights and activations pass to the latent
    /// weights and the rows unchanged; SwiGLU and the GEMMs are differentiated at the quantised values.
    /// </summary>
    sealed class TernaryExpertsOp : TapeOp
    {
        public override void Backward(Tape tape, TapeNode node)
        {
            Var rows = node.Input(0), gateUp = node.Input(1), down = node.Input(2), y = node.Output(0);
            ReadOnlySpan<int> offsets = node.Ints.Span;
            int f = node.Int0, d = node.Int1, n = rows.Shape[0];
            Tensor xq = node.Saved(0), qGateUp = node.Saved(1), qDown = node.Saved(2), gu = node.Saved(3), hq = node.Saved(4);
            ReadOnlySpan<float> dy = y.Grad.Span;
            if (down.RequiresGrad) // dW_down += dŴ_down = dyᵀ·ĥ
                GroupedGemm.MultiplyTransposeA(hq.Span, dy, down.Grad.Span, offsets, f, d, transB: true, beta: 1f);
            if (!rows.RequiresGrad && !gateUp.RequiresGrad) return;
            // dh = dĥ = dy·Ŵ_down; gu becomes its own gradient.
            Tensor dh = tape.Allocate(new Shape(n, f), zero: false);
            GroupedGemm.Multiply(dy, qDown.Span, dh.Span, offsets, f, d, transB: false);
            unsafe
            {
                fixed (float* pgu = gu.Span, pdh = dh.Span)
                    ExpertKernels.SwiGluRowsBackward(pgu, pdh, n, f, Simd.Best, ParallelRunner.Threads);
            }
            if (gateUp.RequiresGrad) // dW_gu += dguᵀ·x̂
                GroupedGemm.MultiplyTransposeA(xq.Span, gu.Span, gateUp.Grad.Span, offsets, d, 2 * f, transB: true, beta: 1f);
            if (rows.RequiresGrad) // dx += dx̂ = dgu·Ŵ_gu
                GroupedGemm.Multiply(gu.Span, qGateUp.Span, rows.Grad.Span, offsets, d, 2 * f, transB: false, beta: 1f);
        }
    }
}
