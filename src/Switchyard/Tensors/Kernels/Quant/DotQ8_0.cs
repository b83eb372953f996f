using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// One Q8_0 weight row · one Q8_0-quantized activation row: per block an exact integer dot product
/// Σ q_w·q_a, then acc = fma(Σ, d_w·d_a, acc) in block order (the same float sequence at every width).
/// </summary>
/// <remarks>
/// Vector paths use ggml's sign trick for s8×s8 on a u8×s8 multiply: |q_w| · (q_a with q_w's sign).
/// Activations never hold −128 (their quantizer clamps to ±127), so negating them cannot overflow.
/// </remarks>
internal static unsafe class DotQ8_0
{
    public static float Compute(byte* w, sbyte* a, float* ad, short* sums, int blocks, SimdWidth width)
    {
        if (width == SimdWidth.V512 && ByteDot.Has512) return V512(w, a, ad, blocks);
        if (width >= SimdWidth.V256 && ByteDot.Has256) return V256(w, a, ad, blocks);
        return Scalar(w, a, ad, blocks);
    }

    internal static float Scalar(byte* w, sbyte* a, float* ad, int blocks)
    {
        float acc = 0f;
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = w + b * BlockQ8_0.Bytes;
            sbyte* q = (sbyte*)(wb + 2), ab = a + b * 32;
            int sum = 0;
            for (int j = 0; j < 32; j++) sum += q[j] * ab[j];
            Accumulate(wb, ad[b], sum, ref acc);
        }
        return acc;
    }

    static float V256(byte* w, sbyte* a, float* ad, int blocks)
    {
        float acc = 0f;
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = w + b * BlockQ8_0.Bytes;
            var q = Vector256.Load((sbyte*)(wb + 2));
            var x = Vector256.Load(a + b * 32);
            var dot = ByteDot.MulAdd(Vector256<int>.Zero, Avx2.Abs(q), Avx2.Sign(x, q));
            Accumulate(wb, ad[b], Vector256.Sum(dot), ref acc);
        }
        return acc;
    }

    static float V512(byte* w, sbyte* a, float* ad, int blocks)
    {
        float acc = 0f;
        int b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            byte* wb = w + b * BlockQ8_0.Bytes;
            var q = Vector512.Create(Vector256.Load((sbyte*)(wb + 2)), Vector256.Load((sbyte*)(wb + BlockQ8_0.Bytes + 2)));
            var x = Vector512.Load(a + b * 32);
            var signed = Vector512.ConditionalSelect(Vector512.LessThan(q, Vector512<sbyte>.Zero), -x, x);
            var dot = ByteDot.MulAdd(Vector512<int>.Zero, Avx512BW.Abs(q), signed);
            var (lower, upper) = ByteDot.SumHalves(dot);
            Accumulate(wb, ad[b], lower, ref acc);
            Accumulate(wb + BlockQ8_0.Bytes, ad[b + 1], upper, ref acc);
        }
        if (b < blocks)
        {
            byte* wb = w + b * BlockQ8_0.Bytes;
            var q = Vector256.Load((sbyte*)(wb + 2));
            var dot = ByteDot.MulAdd(Vector256<int>.Zero, Avx2.Abs(q), Avx2.Sign(Vector256.Load(a + b * 32), q));
            Accumulate(wb, ad[b], Vector256.Sum(dot), ref acc);
        }
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Accumulate(byte* wb, float da, int sum, ref float acc) =>
        acc = MathF.FusedMultiplyAdd(sum, QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb)) * da, acc);
}
