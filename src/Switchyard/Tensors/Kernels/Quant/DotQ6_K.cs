using System.Runtime.CompilerServices;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// One Q6_K weight row · one Q8_K activation row: per super-block the exact integer
/// S = Σ_g sc_g·(Σ q·a − 32·bsum_g) over the 16 groups of 16 (q in [0, 63] unsigned, its −32 offset
/// folded through the activation sums), then acc = fma(S, d·d_a, acc) in super-block order.
/// </summary>
internal static unsafe class DotQ6_K
{
    public static float Compute(byte* w, sbyte* a, float* ad, short* sums, int blocks, SimdWidth width) =>
        Scalar(w, a, ad, sums, blocks);

    internal static float Scalar(byte* w, sbyte* a, float* ad, short* sums, int blocks)
    {
        float acc = 0f;
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = w + b * BlockQ6_K.Bytes;
            sbyte* sc = (sbyte*)(wb + BlockQ6_K.ScalesAt);
            sbyte* ab = a + b * 256;
            short* sb = sums + b * 16;
            int s = 0;
            for (int half = 0; half < 2; half++)
            {
                byte* ql = wb + 64 * half, qh = wb + BlockQ6_K.QhAt + 32 * half;
                sbyte* av = ab + 128 * half;
                for (int k = 0; k < 4; k++)
                {
                    // Quarter k (values 32k..32k+31 of the half): ql bytes 0–31 (k even) or 32–63 (k odd),
                    // low nibble for k < 2, high for k ≥ 2; qh bits 2k, 2k+1.
                    byte* qlk = ql + 32 * (k & 1);
                    int nibbleShift = 4 * (k >> 1), highShift = 2 * k;
                    for (int sub = 0; sub < 2; sub++)
                    {
                        int dot = 0;
                        for (int i = 16 * sub; i < 16 * sub + 16; i++)
                        {
                            int q = ((qlk[i] >> nibbleShift) & 0xF) | (((qh[i] >> highShift) & 3) << 4);
                            dot += q * av[32 * k + i];
                        }
                        int g = 8 * half + 2 * k + sub;
                        s += sc[g] * (dot - 32 * sb[g]);
                    }
                }
            }
            float d = QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb + BlockQ6_K.DAt)) * ad[b];
            acc = MathF.FusedMultiplyAdd(s, d, acc);
        }
        return acc;
    }
}
