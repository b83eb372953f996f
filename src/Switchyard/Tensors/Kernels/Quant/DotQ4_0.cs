using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// One Q4_0 weight row · one Q8_0-quantized activation row: per block Σ (q_w − 8)·q_a, computed as
/// Σ q_w·q_a − 8·Σ q_a with the activation's group sums (the unsigned nibbles then feed the u8×s8
/// multiply-add directly), then acc = fma(Σ, d_w·d_a, acc) in block order.
/// </summary>
internal static unsafe class DotQ4_0
{
    public static float Compute(byte* w, sbyte* a, float* ad, short* sums, int blocks, SimdWidth width)
    {
        if (width == SimdWidth.V512 && ByteDot.Has512) return V512(w, a, ad, sums, blocks);
        if (width >= SimdWidth.V256 && ByteDot.Has256) return V256(w, a, ad, sums, blocks);
        return Scalar(w, a, ad, sums, blocks);
    }

    internal static float Scalar(byte* w, sbyte* a, float* ad, short* sums, int blocks)
    {
        float acc = 0f;
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = w + b * BlockQ4_0.Bytes;
            sbyte* ab = a + b * 32;
            int sum = 0;
            for (int j = 0; j < 16; j++) sum += (wb[2 + j] & 0xF) * ab[j] + (wb[2 + j] >> 4) * ab[j + 16];
            Accumulate(wb, ad[b], sums + 2 * b, sum, ref acc);
        }
        return acc;
    }

    static float V256(byte* w, sbyte* a, float* ad, short* sums, int blocks)
    {
        float acc = 0f;
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = w + b * BlockQ4_0.Bytes;
            var q = Vector128.Load(wb + 2);
            var dot = ByteDot.MulAdd(Vector256<int>.Zero, Vector256.Create(ByteDot.Low(q), ByteDot.High(q)), Vector256.Load(a + b * 32));
            Accumulate(wb, ad[b], sums + 2 * b, Vector256.Sum(dot), ref acc);
        }
        return acc;
    }

    static float V512(byte* w, sbyte* a, float* ad, short* sums, int blocks)
    {
        float acc = 0f;
        int b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            byte* wb = w + b * BlockQ4_0.Bytes;
            var q0 = Vector128.Load(wb + 2);
            var q1 = Vector128.Load(wb + BlockQ4_0.Bytes + 2);
            var nibbles = Vector512.Create(Vector256.Create(ByteDot.Low(q0), ByteDot.High(q0)), Vector256.Create(ByteDot.Low(q1), ByteDot.High(q1)));
            var dot = ByteDot.MulAdd(Vector512<int>.Zero, nibbles, Vector512.Load(a + b * 32));
            var (lower, upper) = ByteDot.SumHalves(dot);
            Accumulate(wb, ad[b], sums + 2 * b, lower, ref acc);
            Accumulate(wb + BlockQ4_0.Bytes, ad[b + 1], sums + 2 * b + 2, upper, ref acc);
        }
        if (b < blocks)
        {
            byte* wb = w + b * BlockQ4_0.Bytes;
            var q = Vector128.Load(wb + 2);
            var dot = ByteDot.MulAdd(Vector256<int>.Zero, Vector256.Create(ByteDot.Low(q), ByteDot.High(q)), Vector256.Load(a + b * 32));
            Accumulate(wb, ad[b], sums + 2 * b, Vector256.Sum(dot), ref acc);
        }
        return acc;
    }

    // Σ (q − 8)·a = Σ q·a − 8·(sum of the block's two activation groups).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Accumulate(byte* wb, float da, short* groupSums, int sum, ref float acc) =>
        acc = MathF.FusedMultiplyAdd(sum - 8 * (groupSums[0] + groupSums[1]),
            QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb)) * da, acc);
}
