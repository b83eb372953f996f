using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Tensors;

namespace Switchyard.Experts;

/// <summary>
/// The output projection of Selective Multi-Head Attention (UoE, arXiv 2503.02495): heads are experts, and the slot of
/// (token, head h) is projected by head h's column slice of the shared W_O [d, H·D] only: y_s = W_O[:, S_h]·o_s. Rows
/// are grouped by head as the plan groups them; unselected (token, head) pairs are never projected.
/// </summary>
internal static class HeadProjection
{
    /// <summary>[n, d] = per slot W_O[:, S_h]·o_s, for <paramref name="rows"/> [n, D] in plan order and <paramref name="weight"/> [d, H·D].</summary>
    /// <exception cref="ShapeMismatchException">The shapes do not fit the plan.</exception>
    public static unsafe Var Apply(Tape tape, Var rows, Var weight, RoutingPlan plan)
    {
        int n = plan.Count, heads = plan.Experts, dim = rows.Shape.Last, outF = weight.Shape[0];
        ShapeMismatchException.ThrowIf(rows.Shape != new Shape(n, dim), "head rows", new Shape(n, dim), rows.Shape);
        ShapeMismatchException.ThrowIf(weight.Shape != new Shape(outF, heads * dim), "o_proj weight", new Shape(outF, heads * dim), weight.Shape);
        bool grad = tape.NeedsGrad(rows, weight);
        Var y = tape.NewVar(new Shape(n, outF), grad);
        fixed (float* px = rows.Value.Span, pw = weight.Value.Span, py = y.Value.Span)
            SliceGemm.ColumnSliceForward(px, pw, py, plan.Offsets, dim, outF, heads);
        if (grad)
        {
            TapeNode node = tape.Record(HeadProjectionOp.Instance, [rows, weight], [y]);
            node.Ints = tape.CopyInts(plan.Offsets);
            node.Int0 = heads;
        }
        return y;
    }

    sealed class HeadProjectionOp : TapeOp
    {
        public static readonly HeadProjectionOp Instance = new();

        public override unsafe void Backward(Tape tape, TapeNode node)
        {
            Var rows = node.Input(0), weight = node.Input(1), y = node.Output(0);
            int dim = rows.Shape.Last, outF = weight.Shape[0];
            fixed (float* px = rows.Value.Span, pw = weight.Value.Span, pdy = y.Grad.Span)
            fixed (float* pdx = rows.RequiresGrad ? rows.Grad.Span : default, pdw = weight.RequiresGrad ? weight.Grad.Span : default)
                SliceGemm.ColumnSliceBackward(px, pw, pdy, pdx, pdw, node.Ints.Span, dim, outF, node.Int0);
        }
    }
}
