using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Tensors;

namespace Switchyard.Experts;

/// <summary>
/// The combine of an MoE layer as one tape op: y[t] = scale[t]·shared[t] + Σ_{s ∈ slots(t)} g[s]·outs[s],
/// summing a token's kept assignments in ascending expert order (the plan's per-item slots).
/// Dropped assignments have no slot, so they add nothing and the residual outside passes the
/// token through. Gradients reach the expert outputs, the gates (hence the router), the shared
/// output and its per-token scale (Qwen2-MoE's <c>sigmoid(shared_expert_gate(x))</c>).
/// </summary>
internal static class MoeCombine
{
    /// <summary>Records the combine. <paramref name="shared"/> [N, d] and <paramref name="scale"/> [N, 1] are optional (scale needs shared).</summary>
    public static unsafe Var Apply(Tape tape, Var outs, Var gates, RoutingPlan plan, Var? shared, Var? scale)
    {
        int tokens = plan.Items, n = plan.Count, d = outs.Shape[1];
        ShapeMismatchException.ThrowIf(gates.Shape != new Shape(n), "MoE combine gates", new Shape(n), gates.Shape);
        if (shared is not null) ShapeMismatchException.ThrowIf(shared.Shape != new Shape(tokens, d), "MoE combine shared", new Shape(tokens, d), shared.Shape);
        if (scale is not null) ShapeMismatchException.ThrowIf(scale.Shape != new Shape(tokens, 1), "MoE combine shared scale", new Shape(tokens, 1), scale.Shape);
        bool grad = tape.NeedsGrad(outs, gates, shared, scale);
        Var y = tape.NewVar(new Shape(tokens, d), grad);
        fixed (float* po = outs.Value.Span, pg = gates.Value.Span, ps = shared is null ? default : shared.Value.Span,
            pc = scale is null ? default : scale.Value.Span, py = y.Value.Span)
        fixed (int* pio = plan.ItemOffsets, pis = plan.ItemSlot)
        {
            ExpertKernels.Combine(po, pg, pio, pis, shared is null ? null : ps, scale is null ? null : pc, py, tokens, d,
                Simd.Best, ParallelRunner.Threads);
        }
        if (grad)
        {
            TapeNode node = shared is null ? tape.Record(CombineOp.Instance, [outs, gates], [y])
                : scale is null ? tape.Record(CombineOp.Instance, [outs, gates, shared], [y])
                : tape.Record(CombineOp.Instance, [outs, gates, shared, scale], [y]);
            node.Ints = tape.CopyInts(plan.Item);
        }
        return y;
    }

    /// <summary>The definition in any precision (the gradient-check oracle); slots in plan order.</summary>
    internal static void Reference<T>(ReadOnlySpan<T> outs, ReadOnlySpan<T> gates, ReadOnlySpan<int> item, ReadOnlySpan<T> shared,
        ReadOnlySpan<T> scale, Span<T> y, int d) where T : System.Numerics.IFloatingPointIeee754<T>
    {
        y.Clear();
        if (!shared.IsEmpty)
            for (int i = 0; i < y.Length; i++) y[i] = (scale.IsEmpty ? T.One : scale[i / d]) * shared[i];
        for (int s = 0; s < item.Length; s++)
            for (int c = 0; c < d; c++) y[item[s] * d + c] += gates[s] * outs[s * d + c];
    }

    sealed class CombineOp : TapeOp
    {
        public static readonly CombineOp Instance = new();

        public override unsafe void Backward(Tape tape, TapeNode node)
        {
            Var outs = node.Input(0), gates = node.Input(1), y = node.Output(0);
            Var? shared = node.InputCount > 2 ? node.Input(2) : null, scale = node.InputCount > 3 ? node.Input(3) : null;
            int n = outs.Shape[0], d = outs.Shape[1], tokens = y.Shape[0];
            fixed (float* pdy = y.Grad.Span, po = outs.Value.Span, pg = gates.Value.Span)
            fixed (float* pdo = outs.RequiresGrad ? outs.Grad.Span : default, pdg = gates.RequiresGrad ? gates.Grad.Span : default)
            fixed (int* pi = node.Ints.Span)
            {
                if (outs.RequiresGrad || gates.RequiresGrad)
                    ExpertKernels.CombineBackwardSlots(po, pg, pi, pdy, outs.RequiresGrad ? pdo : null, gates.RequiresGrad ? pdg : null, n, d,
                        Simd.Best, ParallelRunner.Threads);
                if (shared is null) return;
                bool ds = shared.RequiresGrad, dc = scale is not null && scale.RequiresGrad;
                if (!ds && !dc) return;
                fixed (float* ps = shared.Value.Span, pc = scale is null ? default : scale.Value.Span)
                fixed (float* pds = ds ? shared.Grad.Span : default, pdc = dc ? scale!.Grad.Span : default)
                {
                    ExpertKernels.CombineBackwardShared(ps, scale is null ? null : pc, pdy, ds ? pds : null, dc ? pdc : null, tokens, d,
                        Simd.Best, ParallelRunner.Threads);
                }
            }
        }
    }
}
