using System.Numerics;

namespace Switchyard.Tensors.Kernels;

public static partial class CachedAttention
{
    /// <summary>
    /// The definition, naive and generic so it runs in double as the test oracle:
    /// o[t, h] = Σ_{j ≤ startPosition + t} softmaxⱼ(scale·q[t, h]·k[j, g])·v[j, g], g = h / (qHeads / kvHeads).
    /// </summary>
    internal static void ReferenceForward<T>(ReadOnlySpan<T> q, ReadOnlySpan<T> kCache, ReadOnlySpan<T> vCache, Span<T> o,
        int tokens, int startPosition, int qHeads, int kvHeads, int headDim, T scale)
        where T : IFloatingPointIeee754<T>
    {
        var s = new CacheShape(tokens, startPosition, qHeads, kvHeads, headDim);
        s.Check(q.Length, kCache.Length, vCache.Length, o.Length);
        var p = new T[startPosition + tokens];
        for (int t = 0; t < tokens; t++)
        for (int h = 0; h < qHeads; h++)
        {
            int g = h / s.Group, context = s.Context(t);
            var qi = q.Slice((int)s.QueryOffset(t, h), headDim);
            T max = T.NegativeInfinity;
            for (int j = 0; j < context; j++)
            {
                var kj = kCache.Slice((int)s.CacheOffset(j, g), headDim);
                T dot = T.Zero;
                for (int c = 0; c < headDim; c++) dot += qi[c] * kj[c];
                p[j] = scale * dot;
                max = T.Max(max, p[j]);
            }
            T sum = T.Zero;
            for (int j = 0; j < context; j++) { p[j] = T.Exp(p[j] - max); sum += p[j]; }
            var oi = o.Slice((int)s.QueryOffset(t, h), headDim);
            oi.Clear();
            for (int j = 0; j < context; j++)
            {
                var vj = vCache.Slice((int)s.CacheOffset(j, g), headDim);
                for (int c = 0; c < headDim; c++) oi[c] += p[j] / sum * vj[c];
            }
        }
    }
}
