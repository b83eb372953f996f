using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// One Q6_K weight row · one Q8_K activation row: per super-block the exact integer
/// S = Σ_g sc_g·(Σ q·a − 32·bsum_g) over the 16 groups of 16 (q in [0, 63] unsigned, its −32 offset
/// folded through the activation sums), then acc = fma(S, d·d_a, acc) in super-block order.
/// </summary>
/// <remarks>
/// Vector paths rebuild q from ql/qh (<see cref="BlockQ6_K"/>'s arrangement) and scale each 16-bit pair
/// sum by its group's int8 scale in <c>vpmaddwd</c>: |pair| ≤ 2·63·127, ·127, ·128 pairs fits int32.
/// </remarks>
internal static unsafe class DotQ6_K
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
            Finish(wb, ad[b], s, ref acc);
        }
        return acc;
    }

    static float V256(byte* w, sbyte* a, float* ad, short* sums, int blocks)
    {
        float acc = 0f;
        var bits45 = Vector256.Create((byte)0x30);
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = w + b * BlockQ6_K.Bytes;
            sbyte* sc = (sbyte*)(wb + BlockQ6_K.ScalesAt);
            sbyte* ab = a + b * 256;
            var dot = Vector256<int>.Zero;
            for (int half = 0; half < 2; half++)
            {
                var ql0 = Vector256.Load(wb + 64 * half);
                var ql1 = Vector256.Load(wb + 64 * half + 32);
                var qh = Vector256.Load(wb + BlockQ6_K.QhAt + 32 * half).AsUInt16();
                var q0 = ByteDot.Low(ql0) | (Vector256.ShiftLeft(qh, 4).AsByte() & bits45);
                var q1 = ByteDot.Low(ql1) | (Vector256.ShiftLeft(qh, 2).AsByte() & bits45);
                var q2 = ByteDot.High(ql0) | (qh.AsByte() & bits45);
                var q3 = ByteDot.High(ql1) | (Vector256.ShiftRightLogical(qh, 2).AsByte() & bits45);
                sbyte* av = ab + 128 * half;
                int g = 8 * half;
                dot += ByteDot.MulScaled(q0, Vector256.Load(av), Pair(sc[g], sc[g + 1]));
                dot += ByteDot.MulScaled(q1, Vector256.Load(av + 32), Pair(sc[g + 2], sc[g + 3]));
                dot += ByteDot.MulScaled(q2, Vector256.Load(av + 64), Pair(sc[g + 4], sc[g + 5]));
                dot += ByteDot.MulScaled(q3, Vector256.Load(av + 96), Pair(sc[g + 6], sc[g + 7]));
            }
            dot -= Vector256.ShiftLeft(OffsetSums(sc, sums + b * 16), 5);
            Finish(wb, ad[b], Vector256.Sum(dot), ref acc);
        }
        return acc;
    }

    static float V512(byte* w, sbyte* a, float* ad, short* sums, int blocks)
    {
        float acc = 0f;
        var bits45 = Vector512.Create((byte)0x30);
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = w + b * BlockQ6_K.Bytes;
            sbyte* sc = (sbyte*)(wb + BlockQ6_K.ScalesAt);
            sbyte* ab = a + b * 256;
            var dot = Vector512<int>.Zero;
            var scales = Scales16(sc);
            for (int half = 0; half < 2; half++)
            {
                // ql bytes 0–63 of the half: low nibbles are values 0–63, high nibbles values 64–127.
                var ql = Vector512.Load(wb + 64 * half);
                var qh = Vector256.Load(wb + BlockQ6_K.QhAt + 32 * half).AsUInt16();
                var hiLow = Vector512.Create(Vector256.ShiftLeft(qh, 4), Vector256.ShiftLeft(qh, 2)).AsByte() & bits45;
                var hiHigh = Vector512.Create(qh, Vector256.ShiftRightLogical(qh, 2)).AsByte() & bits45;
                sbyte* av = ab + 128 * half;
                dot += ByteDot.MulScaled(ByteDot.Low(ql) | hiLow, Vector512.Load(av), Quad(scales, 2 * half));
                dot += ByteDot.MulScaled(ByteDot.High(ql) | hiHigh, Vector512.Load(av + 64), Quad(scales, 2 * half + 1));
            }
            var offsets = Vector256.ShiftLeft(OffsetSums(sc, sums + b * 16), 5);
            Finish(wb, ad[b], Vector512.Sum(dot) - Vector256.Sum(offsets), ref acc);
        }
        return acc;
    }

    // Per int32 lane Σ of two (scale_g · bsum_g): the −32 offsets of all 16 groups at once.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> OffsetSums(sbyte* sc, short* groupSums) =>
        Avx2.MultiplyAddAdjacent(Vector256.Load(groupSums), Avx2.ConvertToVector256Int16(Vector128.Load(sc)));

    // 16 int16 lanes: 8 of scale s0 (the pairs of group g), then 8 of s1 (group g + 1).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<short> Pair(sbyte s0, sbyte s1) => Vector256.Create(Vector128.Create((short)s0), Vector128.Create((short)s1));

    /// <summary>The 16 int8 scales sign-extended to int16 (lanes 0–15 of a 512-bit vector).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<short> Scales16(sbyte* sc) =>
        Avx2.ConvertToVector256Int16(Vector128.Load(sc)).ToVector512Unsafe();

    /// <summary>
    /// 32 int16 lanes for 64 values (4 groups of 16 → 8 pair lanes each): scales 4q .. 4q+3, each
    /// repeated 8 times, picked with one <c>vpermw</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<short> Quad(Vector512<short> scales16, int q) =>
        Avx512BW.PermuteVar32x16(scales16, Vector512.ShiftRightLogical(Vector512<short>.Indices, 3) + Vector512.Create((short)(4 * q)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Finish(byte* wb, float da, int s, ref float acc)
    {
        float d = QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb + BlockQ6_K.DAt)) * da;
        acc = MathF.FusedMultiplyAdd(s, d, acc);
    }
}
