using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Nn.Layers;
using Switchyard.Routing;
using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Experts;

/// <summary>
/// Union-of-Experts MLP experts (UoME, arXiv 2503.02495, shared/specs/token-routers.md §9): ONE dense SwiGLU MLP of
/// width F = E·w, equivalently decomposed into E experts by hidden index, expert e = slice S_e = [e·w, (e+1)·w):
/// FFN(x) = Σ_e W_down[:, S_e]·(silu(W_gate[S_e, :]·x) ∘ W_up[S_e, :]·x). The experts are views into the dense
/// weights (row blocks of <c>gate_proj</c>/<c>up_proj</c>, column blocks of <c>down_proj</c>), never copies, so all
/// experts on with unit gates is the dense MLP, and the checkpoint names are the dense MLP's.
/// </summary>
/// <remarks>
/// Children as <see cref="SwiGluMlp"/>: <c>gate_proj</c>, <c>up_proj</c> [F, d], <c>down_proj</c> [d, F], no biases (a
/// down-projection bias would have to be added once, not per slice). Compute follows the plan: each slice runs only
/// on the rows dispatched to it (three strided GEMMs per non-empty slice); an unselected slice costs nothing.
/// </remarks>
public sealed class DenseSliceExperts : Module, IExpertSet
{
    readonly SliceExpertsOp _op = new();

    /// <summary>Creates the dense MLP of width <paramref name="experts"/>·<paramref name="width"/> with N(0, initStd²) weights drawn as <see cref="SwiGluMlp"/> draws them (gate, up, down).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or the std is negative.</exception>
    public DenseSliceExperts(int modelDim, int experts, int width, Rng rng, float initStd = 0.02f)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(modelDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ModelDim = modelDim;
        Experts = experts;
        Width = width;
        GateProj = AddModule("gate_proj", new Linear(modelDim, experts * width, rng, initStd: initStd));
        UpProj = AddModule("up_proj", new Linear(modelDim, experts * width, rng, initStd: initStd));
        DownProj = AddModule("down_proj", new Linear(experts * width, modelDim, rng, initStd: initStd));
    }

    /// <inheritdoc/>
    public int Experts { get; }

    /// <inheritdoc/>
    public int ModelDim { get; }

    /// <summary>Width w of one slice; the dense width is E·w.</summary>
    public int Width { get; }

    /// <summary>The dense gate projection [E·w, d].</summary>
    public Linear GateProj { get; }

    /// <summary>The dense up projection [E·w, d].</summary>
    public Linear UpProj { get; }

    /// <summary>The dense down projection [d, E·w].</summary>
    public Linear DownProj { get; }

    /// <inheritdoc/>
    public long FlopsPerRow(int expert) => 2L * 3 * ModelDim * Width;

    /// <inheritdoc/>
    public long ParametersPerRow(int expert) => 3L * ModelDim * Width;

    /// <inheritdoc/>
    /// <exception cref="ShapeMismatchException">rows is not [plan.Count, d] or the plan has another number of experts.</exception>
    public unsafe Var Forward(Tape tape, Var rows, RoutingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(plan);
        int n = plan.Count, d = ModelDim, w = Width;
        ShapeMismatchException.ThrowIf(rows.Shape != new Shape(n, d), "DenseSliceExperts rows", new Shape(n, d), rows.Shape);
        if (plan.Experts != Experts)
            throw new ShapeMismatchException("DenseSliceExperts plan", $"{Experts} experts", $"{plan.Experts} experts");
        Var gate = GateProj.Weight.Use(tape), up = UpProj.Weight.Use(tape), down = DownProj.Weight.Use(tape);
        bool grad = tape.NeedsGrad(rows, gate, up, down);
        ReadOnlySpan<int> offsets = plan.Offsets;
        Tensor g = tape.Allocate(new Shape(n, w), zero: false), u = tape.Allocate(new Shape(n, w), zero: false), h = tape.Allocate(new Shape(n, w), zero: false);
        Var y = tape.NewVar(new Shape(n, d), grad);
        fixed (float* px = rows.Value.Span, pg = g.Span, pu = u.Span, pwg = gate.Value.Span, pwu = up.Value.Span)
        {
            SliceGemm.RowSliceForward(px, pwg, pg, offsets, w, d);
            SliceGemm.RowSliceForward(px, pwu, pu, offsets, w, d);
        }
        SwiGlu.Forward(g.Span, u.Span, h.Span);
        fixed (float* ph = h.Span, pwd = down.Value.Span, py = y.Value.Span)
            SliceGemm.ColumnSliceForward(ph, pwd, py, offsets, w, d, Experts);
        if (grad)
        {
            TapeNode node = tape.Record(_op, [rows, gate, up, down], [y]).Save(g).Save(u).Save(h);
            node.Ints = tape.CopyInts(offsets);
            node.Int0 = w;
            node.Int1 = Experts;
        }
        return y;
    }

    /// <summary>Backward of the slice experts: per slice, weight gradients into the slices of the dense gradients, and the row gradient.</summary>
    sealed class SliceExpertsOp : TapeOp
    {
        public override unsafe void Backward(Tape tape, TapeNode node)
        {
            Var rows = node.Input(0), gate = node.Input(1), up = node.Input(2), down = node.Input(3), y = node.Output(0);
            ReadOnlySpan<int> offsets = node.Ints.Span;
            int w = node.Int0, slices = node.Int1, n = rows.Shape[0], d = rows.Shape[1];
            Tensor g = node.Saved(0), u = node.Saved(1), h = node.Saved(2);
            Tensor dh = tape.Allocate(new Shape(n, w), zero: true);
            fixed (float* ph = h.Span, pwd = down.Value.Span, pdy = y.Grad.Span, pdh = dh.Span)
            fixed (float* pdwd = down.RequiresGrad ? down.Grad.Span : default)
                SliceGemm.ColumnSliceBackward(ph, pwd, pdy, pdh, pdwd, offsets, w, d, slices);
            if (!rows.RequiresGrad && !gate.RequiresGrad && !up.RequiresGrad) return;
            Tensor dg = tape.Allocate(new Shape(n, w), zero: true), du = tape.Allocate(new Shape(n, w), zero: true);
            SwiGlu.Backward(g.Span, u.Span, dh.Span, dg.Span, du.Span);
            fixed (float* px = rows.Value.Span, pdg = dg.Span, pdu = du.Span, pwg = gate.Value.Span, pwu = up.Value.Span)
            fixed (float* pdx = rows.RequiresGrad ? rows.Grad.Span : default)
            fixed (float* pdwg = gate.RequiresGrad ? gate.Grad.Span : default, pdwu = up.RequiresGrad ? up.Grad.Span : default)
            {
                SliceGemm.RowSliceBackward(px, pwg, pdg, pdx, pdwg, offsets, w, d);
                SliceGemm.RowSliceBackward(px, pwu, pdu, pdx, pdwu, offsets, w, d);
            }
        }
    }
}
