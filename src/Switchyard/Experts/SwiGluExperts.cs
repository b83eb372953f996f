using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Routing;
using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Experts;

/// <summary>
/// E SwiGLU FFN experts of width F over model width d, y = W_down·(silu(W_gate·x) ∘ (W_up·x)),
/// computed for all experts at once with grouped GEMMs: one for gate and up together, one for
/// down. Weights are stored stacked in PyTorch [out, in] layout, <see cref="GateUp"/> [E, 2F, d]
/// (rows 0..F of expert e are its <c>gate_proj</c>, rows F..2F its <c>up_proj</c> — exactly
/// Granite-MoE's <c>input_linear</c>) and <see cref="Down"/> [E, d, F]; the children
/// <c>0</c>..<c>E−1</c> expose each expert's slices as Hugging Face named parameters
/// (<see cref="SwiGluExpertView"/>) whose value and gradient tensors are views into the stacks.
/// </summary>
/// <remarks>
/// Registered under <c>experts</c> by <see cref="MoeLayer"/>, the names are
/// <c>mlp.experts.{e}.gate_proj.weight</c> (or Mixtral's <c>block_sparse_moe.experts.{e}.w1.weight</c>).
/// Freezing: the stacks enter the tape as trainable when any expert parameter is; gradients of
/// frozen experts are then computed but optimizers skip them.
/// </remarks>
public sealed class SwiGluExperts : Module, IExpertSet
{
    readonly SwiGluExpertView[] _views;
    readonly SwiGluExpertsOp _op = new();

    /// <summary>Creates E experts with weights ~ N(0, initStd²), drawn per expert in gate, up, down order (as E <c>SwiGluMlp</c>s would be).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or the std is negative.</exception>
    public SwiGluExperts(int modelDim, int experts, int width, Rng rng, float initStd = 0.02f, ExpertNaming naming = ExpertNaming.Projections)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(modelDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegative(initStd);
        ModelDim = modelDim;
        Experts = experts;
        Width = width;
        Naming = naming;
        GateUp = new Tensor(new Shape(experts, 2 * width, modelDim));
        GateUpGrad = new Tensor(GateUp.Shape);
        Down = new Tensor(new Shape(experts, modelDim, width));
        DownGrad = new Tensor(Down.Shape);
        _views = new SwiGluExpertView[experts];
        int fd = width * modelDim;
        var projection = new Shape(width, modelDim);
        var downShape = new Shape(modelDim, width);
        for (int e = 0; e < experts; e++)
        {
            int gateAt = e * 2 * fd, upAt = gateAt + fd, downAt = e * fd;
            var gate = new Parameter("weight", View(GateUp, gateAt, projection), View(GateUpGrad, gateAt, projection));
            var up = new Parameter("weight", View(GateUp, upAt, projection), View(GateUpGrad, upAt, projection));
            var down = new Parameter("weight", View(Down, downAt, downShape), View(DownGrad, downAt, downShape));
            if (initStd > 0)
            {
                rng.FillNormal(gate.Value.Span, initStd);
                rng.FillNormal(up.Value.Span, initStd);
                rng.FillNormal(down.Value.Span, initStd);
            }
            _views[e] = AddModule(e.ToString(System.Globalization.CultureInfo.InvariantCulture), new SwiGluExpertView(naming, gate, up, down));
        }
    }

    /// <inheritdoc/>
    public int Experts { get; }

    /// <inheritdoc/>
    public int ModelDim { get; }

    /// <summary>Inner width F of each expert (HF <c>moe_intermediate_size</c>).</summary>
    public int Width { get; }

    /// <summary>How the per-expert parameters are named.</summary>
    public ExpertNaming Naming { get; }

    /// <summary>Gate and up projections of every expert, [E, 2F, d]: expert e's gate is rows [0, F) of slice e, its up rows [F, 2F).</summary>
    public Tensor GateUp { get; }

    /// <summary>Accumulated gradient of <see cref="GateUp"/> (the per-expert parameters' gradients are views into it).</summary>
    public Tensor GateUpGrad { get; }

    /// <summary>Down projections of every expert, [E, d, F].</summary>
    public Tensor Down { get; }

    /// <summary>Accumulated gradient of <see cref="Down"/>.</summary>
    public Tensor DownGrad { get; }

    /// <summary>Expert <paramref name="expert"/>'s named parameters (views into the stacks).</summary>
    public SwiGluExpertView Expert(int expert) => _views[expert];

    /// <inheritdoc/>
    public long FlopsPerRow(int expert) => 2L * 3 * ModelDim * Width;

    /// <inheritdoc/>
    public long ParametersPerRow(int expert) => 3L * ModelDim * Width;

    /// <inheritdoc/>
    /// <exception cref="ShapeMismatchException">rows is not [plan.Count, d] or the plan has another number of experts.</exception>
    public Var Forward(Tape tape, Var rows, RoutingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(plan);
        int n = plan.Count, d = ModelDim, f = Width;
        ShapeMismatchException.ThrowIf(rows.Shape != new Shape(n, d), "SwiGluExperts rows", new Shape(n, d), rows.Shape);
        if (plan.Experts != Experts)
            throw new ShapeMismatchException("SwiGluExperts plan", $"{Experts} experts", $"{plan.Experts} experts");
        bool trainable = AnyTrainable();
        Var gateUp = trainable ? tape.Leaf(GateUp, GateUpGrad) : tape.Constant(GateUp);
        Var down = trainable ? tape.Leaf(Down, DownGrad) : tape.Constant(Down);
        bool grad = tape.NeedsGrad(rows, gateUp, down);
        ReadOnlySpan<int> offsets = plan.Offsets;

        Tensor gu = tape.Allocate(new Shape(n, 2 * f), zero: false);
        GroupedGemm.Multiply(rows.Value.Span, GateUp.Span, gu.Span, offsets, 2 * f, d, transB: true);
        Tensor h = tape.Allocate(new Shape(n, f), zero: false);
        unsafe
        {
            fixed (float* pgu = gu.Span, ph = h.Span)
                ExpertKernels.SwiGluRows(pgu, ph, n, f, Simd.Best, ParallelRunner.Threads);
        }
        Var y = tape.NewVar(new Shape(n, d), grad);
        GroupedGemm.Multiply(h.Span, Down.Span, y.Value.Span, offsets, d, f, transB: true);
        if (grad)
        {
            TapeNode node = tape.Record(_op, [rows, gateUp, down], [y]).Save(gu).Save(h);
            node.Ints = tape.CopyInts(offsets);
            node.Int0 = f;
            node.Int1 = d;
        }
        return y;
    }

    bool AnyTrainable()
    {
        foreach (SwiGluExpertView v in _views)
            if (v.Gate.Trainable || v.Up.Trainable || v.Down.Trainable) return true;
        return false;
    }

    static Tensor View(Tensor stack, int offset, Shape shape) => new(stack.Buffer, offset, shape);

    /// <summary>Backward of the grouped SwiGLU experts: weight gradients per expert (accumulated into the stacks) and the row gradient.</summary>
    sealed class SwiGluExpertsOp : TapeOp
    {
        public override void Backward(Tape tape, TapeNode node)
        {
            Var rows = node.Input(0), gateUp = node.Input(1), down = node.Input(2), y = node.Output(0);
            ReadOnlySpan<int> offsets = node.Ints.Span;
            int f = node.Int0, d = node.Int1, n = rows.Shape[0];
            Tensor gu = node.Saved(0), h = node.Saved(1);
            ReadOnlySpan<float> dy = y.Grad.Span;
            if (down.RequiresGrad)
                GroupedGemm.MultiplyTransposeA(h.Span, dy, down.Grad.Span, offsets, f, d, transB: true, beta: 1f);
            if (!rows.RequiresGrad && !gateUp.RequiresGrad) return;
            // dh = dy·W_down (W_down,e is [d, F] = k×n); gu is overwritten by its own gradient.
            Tensor dh = tape.Allocate(new Shape(n, f), zero: false);
            GroupedGemm.Multiply(dy, down.Value.Span, dh.Span, offsets, f, d, transB: false);
            unsafe
            {
                fixed (float* pgu = gu.Span, pdh = dh.Span)
                    ExpertKernels.SwiGluRowsBackward(pgu, pdh, n, f, Simd.Best, ParallelRunner.Threads);
            }
            if (gateUp.RequiresGrad)
                GroupedGemm.MultiplyTransposeA(rows.Value.Span, gu.Span, gateUp.Grad.Span, offsets, d, 2 * f, transB: true, beta: 1f);
            if (rows.RequiresGrad)
                GroupedGemm.Multiply(gu.Span, gateUp.Value.Span, rows.Grad.Span, offsets, d, 2 * f, transB: false, beta: 1f);
        }
    }
}
