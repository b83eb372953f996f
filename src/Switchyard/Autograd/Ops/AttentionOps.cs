using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Autograd;

public sealed partial class Tape
{
    /// <summary>
    /// Causal scaled-dot-product attention with grouped-query heads: <paramref name="q"/>
    /// [batch, seq, qHeads, headDim], <paramref name="k"/> and <paramref name="v"/>
    /// [batch, seq, kvHeads, headDim], qHeads a multiple of kvHeads. Returns [batch, seq, qHeads, headDim].
    /// <paramref name="scale"/> defaults to 1/sqrt(headDim).
    /// </summary>
    /// <exception cref="ShapeMismatchException">Shapes do not fit.</exception>
    public Var CausalAttention(Var q, Var k, Var v, float? scale = null)
    {
        bool grad = NeedsGrad(q, k, v);
        Shape sq = q.Shape, sk = k.Shape;
        if (sq.Rank != 4) throw new ShapeMismatchException("CausalAttention q", "[batch, seq, qHeads, headDim]", sq.ToString());
        if (sk.Rank != 4 || sk[0] != sq[0] || sk[1] != sq[1] || sk[3] != sq[3] || sk[2] == 0 || sq[2] % sk[2] != 0)
            throw new ShapeMismatchException("CausalAttention k", $"[{sq[0]}, {sq[1]}, a divisor of {sq[2]}, {sq[3]}]", sk.ToString());
        ShapeMismatchException.ThrowIf(v.Shape != sk, "CausalAttention v (same as k)", sk, v.Shape);
        int batch = sq[0], seq = sq[1], qHeads = sq[2], kvHeads = sk[2], headDim = sq[3];
        float sc = scale ?? 1f / MathF.Sqrt(headDim);
        Var o = NewVar(sq, grad);
        Tensor lse = Allocate(new Shape(batch, qHeads, seq), zero: false);
        Tensors.Kernels.CausalAttention.Forward(q.Value.Span, k.Value.Span, v.Value.Span, o.Value.Span, lse.Span,
            batch, seq, qHeads, kvHeads, headDim, sc);
        if (grad) Record(CausalAttentionOp.Instance, [q, k, v], [o]).Save(lse).Float0 = sc;
        return o;
    }
}

/// <summary>Attention backward from the saved output and log-sum-exp (no seq×seq buffer).</summary>
internal sealed class CausalAttentionOp : TapeOp
{
    public static readonly CausalAttentionOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var q = node.Input(0), k = node.Input(1), v = node.Input(2), o = node.Output(0);
        Shape sq = q.Shape, sk = k.Shape;
        Span<float> dq = q.RequiresGrad ? q.Grad.Span : tape.Allocate(sq).Span;
        Span<float> dk = k.RequiresGrad ? k.Grad.Span : tape.Allocate(sk).Span;
        Span<float> dv = v.RequiresGrad ? v.Grad.Span : tape.Allocate(sk).Span;
        CausalAttention.Backward(q.Value.Span, k.Value.Span, v.Value.Span, o.Value.Span, node.Saved(0).Span, o.Grad.Span,
            dq, dk, dv, sq[0], sq[1], sq[2], sk[2], sq[3], node.Float0);
    }
}
