using System.Numerics;
using System.Runtime.InteropServices;
using Switchyard.Autograd;
using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Routing.Scorers;

/// <summary>
/// The token graph of the (S)MoE graph-of-tokens router (arXiv 2505.00792, shared/specs/token-routers.md §7), two
/// differentiable ops with their generic forward and backward side by side (float on the tape, double as the
/// gradient-check oracle):
/// <list type="bullet">
/// <item><see cref="Affinity"/>: A[b,i,j] = (1/H)·Σ_h softmax_{j≤i}(s·q[b,i,h]·k[b,j,h′]) for j ≤ i, 0 for j &gt; i — the
/// causal, row-stochastic graph averaged over heads (h′ = h·H_kv/H, grouped-query). The similarity graph is the
/// one-head case with q = k = X·W_sᵀ and s = 1/τ.</item>
/// <item><see cref="Mix"/>: P̃[b,i,:] = Σ_{j≤i} A[b,i,j]·G[b,j,:] per sequence.</item>
/// </list>
/// Both are O(T²) per sequence and head (T = 128 here: cheap beside the layer); plain scalar loops in a fixed
/// order, so the result is the same for every thread count.
/// </summary>
internal static class CausalGraph
{
    /// <summary>Head-averaged causal attention probabilities A [B, T, T] of <paramref name="q"/> [B, T, H, D] and <paramref name="k"/> [B, T, H_kv, D].</summary>
    /// <exception cref="ShapeMismatchException">The shapes do not fit.</exception>
    public static Var Affinity(Tape tape, Var q, Var k, float scale)
    {
        Shape sq = q.Shape, sk = k.Shape;
        if (sq.Rank != 4) throw new ShapeMismatchException("token graph queries", "[batch, seq, heads, dim]", sq.ToString());
        if (sk.Rank != 4 || sk[0] != sq[0] || sk[1] != sq[1] || sk[3] != sq[3] || sk[2] == 0 || sq[2] % sk[2] != 0)
            throw new ShapeMismatchException("token graph keys", $"[{sq[0]}, {sq[1]}, a divisor of {sq[2]}, {sq[3]}]", sk.ToString());
        int batch = sq[0], seq = sq[1], heads = sq[2], kvHeads = sk[2], dim = sq[3];
        bool grad = tape.NeedsGrad(q, k);
        Var a = tape.NewVar(new Shape(batch, seq, seq), grad);
        Tensor probs = tape.Allocate(new Shape(batch, heads, seq, seq), zero: false);
        AffinityForward<float>(q.Value.Span, k.Value.Span, probs.Span, a.Value.Span, batch, seq, heads, kvHeads, dim, scale);
        if (grad)
        {
            TapeNode node = tape.Record(AffinityOp.Instance, [q, k], [a]).Save(probs);
            node.Float0 = scale;
        }
        return a;
    }

    /// <summary>P̃ [B·T, E] = A·G per sequence, for A [B, T, T] and <paramref name="g"/> [B·T, E].</summary>
    /// <exception cref="ShapeMismatchException">The shapes do not fit.</exception>
    public static Var Mix(Tape tape, Var a, Var g)
    {
        Shape sa = a.Shape, sg = g.Shape;
        if (sa.Rank != 3 || sa[1] != sa[2]) throw new ShapeMismatchException("token graph", "[batch, seq, seq]", sa.ToString());
        if (sg.Rank != 2 || sg[0] != sa[0] * sa[1]) throw new ShapeMismatchException("token graph gates", $"[{sa[0] * sa[1]}, experts]", sg.ToString());
        bool grad = tape.NeedsGrad(a, g);
        Var p = tape.NewVar(sg, grad);
        MixForward<float>(a.Value.Span, g.Value.Span, p.Value.Span, sa[0], sa[1], sg[1]);
        if (grad) tape.Record(MixOp.Instance, [a, g], [p]);
        return p;
    }

    /// <summary>Per head the causal row softmax of s·q·kᵀ into <paramref name="probs"/> [B, H, T, T] (0 above the diagonal), and their mean over heads into <paramref name="a"/>.</summary>
    public static void AffinityForward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, Span<T> probs, Span<T> a,
        int batch, int seq, int heads, int kvHeads, int dim, T scale) where T : struct, IFloatingPointIeee754<T>
    {
        int group = heads / kvHeads;
        T inv = T.One / T.CreateChecked(heads);
        a.Clear();
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
            {
                int kh = h / group;
                for (int i = 0; i < seq; i++)
                {
                    Span<T> row = probs.Slice(((b * heads + h) * seq + i) * seq, seq);
                    ReadOnlySpan<T> qi = q.Slice(((b * seq + i) * heads + h) * dim, dim);
                    T max = T.NegativeInfinity;
                    for (int j = 0; j <= i; j++)
                    {
                        T s = scale * Dot(qi, k.Slice(((b * seq + j) * kvHeads + kh) * dim, dim));
                        row[j] = s;
                        if (s > max) max = s;
                    }
                    T sum = T.Zero;
                    for (int j = 0; j <= i; j++) { row[j] = T.Exp(row[j] - max); sum += row[j]; }
                    Span<T> arow = a.Slice((b * seq + i) * seq, seq);
                    for (int j = 0; j <= i; j++) { row[j] /= sum; arow[j] += inv * row[j]; }
                    row[(i + 1)..].Clear();
                }
            }
    }

    /// <summary>dq += s·dL·k, dk += s·dLᵀ·q with dL = P∘(dA/H − rowsum(P∘dA/H)) per head; accumulates (q and k may share a gradient).</summary>
    public static void AffinityBackward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> probs, ReadOnlySpan<T> da, Span<T> dq, Span<T> dk,
        int batch, int seq, int heads, int kvHeads, int dim, T scale, bool wantQ, bool wantK) where T : struct, IFloatingPointIeee754<T>
    {
        int group = heads / kvHeads;
        T inv = T.One / T.CreateChecked(heads);
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
            {
                int kh = h / group;
                for (int i = 0; i < seq; i++)
                {
                    ReadOnlySpan<T> row = probs.Slice(((b * heads + h) * seq + i) * seq, seq);
                    ReadOnlySpan<T> drow = da.Slice((b * seq + i) * seq, seq);
                    T dot = T.Zero;
                    for (int j = 0; j <= i; j++) dot += row[j] * drow[j];
                    dot *= inv;
                    int qAt = ((b * seq + i) * heads + h) * dim;
                    for (int j = 0; j <= i; j++)
                    {
                        T dl = scale * row[j] * (inv * drow[j] - dot);
                        if (dl == T.Zero) continue;
                        int kAt = ((b * seq + j) * kvHeads + kh) * dim;
                        if (wantQ) Axpy(dl, k.Slice(kAt, dim), dq.Slice(qAt, dim));
                        if (wantK) Axpy(dl, q.Slice(qAt, dim), dk.Slice(kAt, dim));
                    }
                }
            }
    }

    /// <summary>p[b,i,:] = Σ_{j≤i} a[b,i,j]·g[b,j,:].</summary>
    public static void MixForward<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> g, Span<T> p, int batch, int seq, int experts)
        where T : struct, IFloatingPointIeee754<T>
    {
        p.Clear();
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < seq; i++)
            {
                Span<T> pi = p.Slice((b * seq + i) * experts, experts);
                ReadOnlySpan<T> arow = a.Slice((b * seq + i) * seq, seq);
                for (int j = 0; j <= i; j++)
                {
                    T w = arow[j];
                    ReadOnlySpan<T> gj = g.Slice((b * seq + j) * experts, experts);
                    Axpy(w, gj, pi);
                }
            }
    }

    /// <summary>da[b,i,j] += dp[b,i,:]·g[b,j,:] (j ≤ i only: the graph is causal), dg[b,j,:] += Σ_{i≥j} a[b,i,j]·dp[b,i,:]; accumulates.</summary>
    public static void MixBackward<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> g, ReadOnlySpan<T> dp, Span<T> da, Span<T> dg,
        int batch, int seq, int experts, bool wantA, bool wantG) where T : struct, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < seq; i++)
            {
                ReadOnlySpan<T> dpi = dp.Slice((b * seq + i) * experts, experts);
                int rowAt = (b * seq + i) * seq;
                for (int j = 0; j <= i; j++)
                {
                    int gAt = (b * seq + j) * experts;
                    if (wantA) da[rowAt + j] += Dot(dpi, g.Slice(gAt, experts));
                    if (wantG)
                    {
                        Axpy(a[rowAt + j], dpi, dg.Slice(gAt, experts));
                    }
                }
            }
    }

    // Float takes the SIMD loops of VectorMath (a fixed order for a given length: deterministic); double stays the plain oracle.
    static T Dot<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y) where T : struct, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            float f = VectorMath.Dot(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y), Simd.Best);
            return T.CreateTruncating(f);
        }
        T s = T.Zero;
        for (int c = 0; c < x.Length; c++) s += x[c] * y[c];
        return s;
    }

    // y += a·x.
    static void Axpy<T>(T a, ReadOnlySpan<T> x, Span<T> y) where T : struct, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            VectorMath.AddScaled(MemoryMarshal.Cast<T, float>(x), float.CreateTruncating(a), MemoryMarshal.Cast<T, float>(y), Simd.Best);
            return;
        }
        for (int c = 0; c < x.Length; c++) y[c] += a * x[c];
    }

    sealed class AffinityOp : TapeOp
    {
        public static readonly AffinityOp Instance = new();

        public override void Backward(Tape tape, TapeNode node)
        {
            Var q = node.Input(0), k = node.Input(1), a = node.Output(0);
            Shape sq = q.Shape;
            Span<float> dq = q.RequiresGrad ? q.Grad.Span : default, dk = k.RequiresGrad ? k.Grad.Span : default;
            AffinityBackward<float>(q.Value.Span, k.Value.Span, node.Saved(0).Span, a.Grad.Span, dq, dk,
                sq[0], sq[1], sq[2], k.Shape[2], sq[3], node.Float0, q.RequiresGrad, k.RequiresGrad);
        }
    }

    sealed class MixOp : TapeOp
    {
        public static readonly MixOp Instance = new();

        public override void Backward(Tape tape, TapeNode node)
        {
            Var a = node.Input(0), g = node.Input(1), p = node.Output(0);
            Span<float> da = a.RequiresGrad ? a.Grad.Span : default, dg = g.RequiresGrad ? g.Grad.Span : default;
            MixBackward<float>(a.Value.Span, g.Value.Span, p.Grad.Span, da, dg, a.Shape[0], a.Shape[1], g.Shape[1], a.RequiresGrad, g.RequiresGrad);
        }
    }
}
