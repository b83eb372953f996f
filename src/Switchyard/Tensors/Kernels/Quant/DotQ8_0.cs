using System.Runtime.CompilerServices;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// One Q8_0 weight row · one Q8_0-quantized activation row: per block an exact integer dot product
/// Σ q_w·q_a, then acc = fma(Σ, d_w·d_a, acc) in block order (the same float sequence at every width).
/// </summary>
internal static unsafe class DotQ8_0
{
    public static float Compute(byte* w, sbyte* a, float* ad, short* sums, int blocks, SimdWidth width) =>
        Scalar(w, a, ad, blocks);

    internal static float Scalar(byte* w, sbyte* a, float* ad, int blocks)
    {
        float acc = 0f;
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = w + b * BlockQ8_0.Bytes;
            sbyte* q = (sbyte*)(wb + 2), ab = a + b * 32;
            int sum = 0;
            for (int j = 0; j < 32; j++) sum += q[j] * ab[j];
            acc = MathF.FusedMultiplyAdd(sum, QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb)) * ad[b], acc);
        }
        return acc;
    }
}
