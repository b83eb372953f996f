namespace Switchyard.Tensors.Kernels;

/// <summary>
/// The reusable parallel job of <see cref="QuantMatMul"/>: part p computes output rows
/// [Out·p/parts, Out·(p+1)/parts) for every token. Rows are walked in tiles small enough to stay in
/// L1/L2 while every token passes over them, so each weight byte comes from memory once per call.
/// </summary>
internal sealed unsafe class QuantMatMulJob : IParallelJob
{
    // Weight bytes per tile: the tile is re-read once per token, from cache.
    const int TileBytes = 32 * 1024;

    [ThreadStatic] static QuantMatMulJob? _cached;

    public GgmlType Type;
    public byte* W;
    public float* X, Y;
    public QuantActivations? Act;
    public int Tokens, Out, In, RowBytes;
    public float Beta;
    public SimdWidth Width;

    public static QuantMatMulJob Get() => _cached ??= new QuantMatMulJob();

    /// <summary>Drops the pointers once a call returns, so none outlives its pin.</summary>
    public void Clear()
    {
        W = null; X = Y = null; Act = null;
    }

    public void Execute(int part, int parts)
    {
        int start = (int)((long)Out * part / parts), end = (int)((long)Out * (part + 1) / parts);
        int tile = Math.Clamp(TileBytes / RowBytes, 1, 64);
        // Groups of 4 tokens share each weight block's decoding where a 4-token kernel exists.
        int grouped = DotTokens4.Handles(Type, Width) ? Tokens / DotTokens4.Tokens * DotTokens4.Tokens : 0;
        float* four = stackalloc float[DotTokens4.Tokens];
        for (int r0 = start; r0 < end; r0 += tile)
        {
            int r1 = Math.Min(end, r0 + tile);
            for (int t = 0; t < grouped; t += DotTokens4.Tokens)
            {
                for (int o = r0; o < r1; o++)
                {
                    DotTokens4.Compute(Type, W + (long)o * RowBytes, X, Act, t, In, four);
                    for (int k = 0; k < DotTokens4.Tokens; k++) Store(t + k, o, four[k]);
                }
            }
            for (int t = grouped; t < Tokens; t++)
                for (int o = r0; o < r1; o++) Store(t, o, Dot(o, t));
        }
    }

    void Store(int t, int o, float dot)
    {
        float* y = Y + (long)t * Out + o;
        *y = Beta == 0f ? dot : dot + Beta * *y;
    }

    float Dot(int o, int t)
    {
        byte* w = W + (long)o * RowBytes;
        var act = Act;
        switch (Type)
        {
            case GgmlType.F16: return DotF16.Compute(w, X + (long)t * In, In, Width);
            case GgmlType.BF16: return DotBF16.Compute(w, X + (long)t * In, In, Width);
            case GgmlType.Q8_0:
                return DotQ8_0.Compute(w, act!.Qs + (long)t * In, act.Scales + (long)t * (In / 32), act.Sums + (long)t * (In / 16), In / 32, Width);
            case GgmlType.Q4_0:
                return DotQ4_0.Compute(w, act!.Qs + (long)t * In, act.Scales + (long)t * (In / 32), act.Sums + (long)t * (In / 16), In / 32, Width);
            case GgmlType.Q4_K:
                return DotQ4_K.Compute(w, act!.Qs + (long)t * In, act.Scales + (long)t * (In / 256), act.Sums + (long)t * (In / 16), In / 256, Width);
            case GgmlType.Q6_K:
                return DotQ6_K.Compute(w, act!.Qs + (long)t * In, act.Scales + (long)t * (In / 256), act.Sums + (long)t * (In / 16), In / 256, Width);
            default:
                throw new NotSupportedException($"no matmul kernel for {Type} weights");
        }
    }
}
