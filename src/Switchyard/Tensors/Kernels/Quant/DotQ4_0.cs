using System.Runtime.CompilerServices;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// One Q4_0 weight row · one Q8_0-quantized activation row: per block Σ (q_w − 8)·q_a, computed as
/// Σ q_w·q_a − 8·Σ q_a with the activation's group sums (the unsigned nibbles then feed the u8×s8
/// multiply-add directly), then acc = fma(Σ, d_w·d_a, acc) in block order.
/// </summary>
internal static unsafe class DotQ4_0
{
    public static float Compute(byte* w, sbyte* a, float* ad, short* sums, int blocks, SimdWidth width) =>
        Scalar(w, a, ad, sums, blocks);

    internal static float Scalar(byte* w, sbyte* a, float* ad, short* sums, int blocks)
    {
        float acc = 0f;
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = w + b * BlockQ4_0.Bytes;
            sbyte* ab = a + b * 32;
            int sum = 0;
            for (int j = 0; j < 16; j++) sum += (wb[2 + j] & 0xF) * ab[j] + (wb[2 + j] >> 4) * ab[j + 16];
            sum -= 8 * (sums[2 * b] + sums[2 * b + 1]);
            acc = MathF.FusedMultiplyAdd(sum, QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb)) * ad[b], acc);
        }
        return acc;
    }
}
