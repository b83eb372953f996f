using System.Runtime.CompilerServices;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// One Q4_K weight row · one Q8_K activation row, as ggml's <c>ggml_vec_dot_q4_K_q8_K</c>: per super-block
/// the integer sums S = Σ_j sc_j·Σ q·a and M = Σ_j m_j·(bsum_2j + bsum_2j+1) (exact), then
/// acc = fma(S, d·d_a, acc) and acc = fma(−M, dmin·d_a, acc) in super-block order.
/// </summary>
internal static unsafe class DotQ4_K
{
    public static float Compute(byte* w, sbyte* a, float* ad, short* sums, int blocks, SimdWidth width) =>
        Scalar(w, a, ad, sums, blocks);

    internal static float Scalar(byte* w, sbyte* a, float* ad, short* sums, int blocks)
    {
        float acc = 0f;
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = w + b * BlockQ4_K.Bytes;
            var scales = new ReadOnlySpan<byte>(wb + BlockQ4_K.ScalesAt, 12);
            byte* qs = wb + BlockQ4_K.QsAt;
            sbyte* ab = a + b * 256;
            short* sb = sums + b * 16;
            int s = 0, m = 0;
            for (int j = 0; j < 8; j++)
            {
                var (sc, mn) = BlockQ4_K.ScaleMin(j, scales);
                byte* q = qs + 32 * (j / 2);
                int shift = 4 * (j & 1), dot = 0;
                for (int i = 0; i < 32; i++) dot += ((q[i] >> shift) & 0xF) * ab[32 * j + i];
                s += sc * dot;
                m += mn * (sb[2 * j] + sb[2 * j + 1]);
            }
            Finish(wb, ad[b], s, m, ref acc);
        }
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Finish(byte* wb, float da, int s, int m, ref float acc)
    {
        float d = QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb)) * da;
        float dmin = QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb + 2)) * da;
        acc = MathF.FusedMultiplyAdd(s, d, acc);
        acc = MathF.FusedMultiplyAdd(-m, dmin, acc);
    }
}
