using System.Numerics;

namespace Switchyard.Tensors.Kernels;

public static partial class CausalAttention
{
    /// <summary>
    /// The definition, naive O(seq²) and generic so it runs in double as the test oracle:
    /// oᵢ = Σ_{j≤i} softmaxⱼ(scale·qᵢ·kⱼ)·vⱼ per (batch, query head), kv head = h / (qHeads/kvHeads).
    /// </summary>
    internal static void ReferenceForward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v,
        Span<T> o, Span<T> logSumExp, int batch, int seq, int qHeads, int kvHeads, int headDim, T scale)
        where T : IFloatingPointIeee754<T>
    {
        var s = new AttentionShape(batch, seq, qHeads, kvHeads, headDim);
        s.CheckForward(q.Length, k.Length, v.Length, o.Length, logSumExp.Length);
        var p = new T[seq];
        for (int b = 0; b < batch; b++)
        for (int h = 0; h < qHeads; h++)
        {
            int g = h / s.Group;
            for (int i = 0; i < seq; i++)
            {
                var qi = q.Slice((int)s.QueryOffset(b, i, h), headDim);
                T max = T.NegativeInfinity;
                for (int j = 0; j <= i; j++)
                {
                    p[j] = scale * DotT(qi, k.Slice((int)s.KeyOffset(b, j, g), headDim));
                    max = T.Max(max, p[j]);
                }
                T sum = T.Zero;
                for (int j = 0; j <= i; j++) { p[j] = T.Exp(p[j] - max); sum += p[j]; }
                var oi = o.Slice((int)s.QueryOffset(b, i, h), headDim);
                oi.Clear();
                for (int j = 0; j <= i; j++)
                {
                    var vj = v.Slice((int)s.KeyOffset(b, j, g), headDim);
                    for (int c = 0; c < headDim; c++) oi[c] += p[j] / sum * vj[c];
                }
                logSumExp[(int)s.RowOffset(b, h, i)] = max + T.Log(sum);
            }
        }
    }

    /// <summary>
    /// Gradients of <see cref="ReferenceForward{T}"/>, naive O(seq²): accumulates into dq, dk, dv.
    /// Uses Pᵢⱼ = exp(scale·qᵢ·kⱼ − logSumExpᵢ) and Dᵢ = dOᵢ·Oᵢ, the identities the fast path relies on.
    /// </summary>
    internal static void ReferenceBackward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> k, ReadOnlySpan<T> v,
        ReadOnlySpan<T> o, ReadOnlySpan<T> logSumExp, ReadOnlySpan<T> dO,
        Span<T> dq, Span<T> dk, Span<T> dv,
        int batch, int seq, int qHeads, int kvHeads, int headDim, T scale)
        where T : IFloatingPointIeee754<T>
    {
        var s = new AttentionShape(batch, seq, qHeads, kvHeads, headDim);
        s.CheckBackward(q.Length, k.Length, v.Length, o.Length, logSumExp.Length, dO.Length, dq.Length, dk.Length, dv.Length);
        for (int b = 0; b < batch; b++)
        for (int h = 0; h < qHeads; h++)
        {
            int g = h / s.Group;
            for (int i = 0; i < seq; i++)
            {
                int qo = (int)s.QueryOffset(b, i, h);
                var qi = q.Slice(qo, headDim);
                var dOi = dO.Slice(qo, headDim);
                var dqi = dq.Slice(qo, headDim);
                T lse = logSumExp[(int)s.RowOffset(b, h, i)];
                T rowD = DotT(dOi, o.Slice(qo, headDim));
                for (int j = 0; j <= i; j++)
                {
                    int ko = (int)s.KeyOffset(b, j, g);
                    var kj = k.Slice(ko, headDim);
                    T p = T.Exp(scale * DotT(qi, kj) - lse);
                    T dp = DotT(dOi, v.Slice(ko, headDim));
                    T ds = p * (dp - rowD);
                    var dkj = dk.Slice(ko, headDim);
                    var dvj = dv.Slice(ko, headDim);
                    for (int c = 0; c < headDim; c++)
                    {
                        dqi[c] += scale * ds * kj[c];
                        dkj[c] += scale * ds * qi[c];
                        dvj[c] += p * dOi[c];
                    }
                }
            }
        }
    }

    static T DotT<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        for (int c = 0; c < a.Length; c++) sum += a[c] * b[c];
        return sum;
    }
}
