using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// One Q4_K weight row · one Q8_K activation row, as ggml's <c>ggml_vec_dot_q4_K_q8_K</c>: per super-block
/// the integer sums S = Σ_j sc_j·Σ q·a and M = Σ_j m_j·(bsum_2j + bsum_2j+1) (exact), then
/// acc = fma(S, d·d_a, acc) and acc = fma(−M, dmin·d_a, acc) in super-block order.
/// </summary>
/// <remarks>
/// The vector paths multiply each 16-bit pair sum by its sub-block scale inside <c>vpmaddwd</c>, so
/// scaling costs nothing extra: |Σ pair| ≤ 2·15·127 and ·63 stays far inside int32.
/// </remarks>
internal static unsafe class DotQ4_K
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
        byte* sc = stackalloc byte[8];
        byte* mn = stackalloc byte[8];
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = w + b * BlockQ4_K.Bytes;
            DecodeScales(wb + BlockQ4_K.ScalesAt, sc, mn);
            byte* qs = wb + BlockQ4_K.QsAt;
            sbyte* ab = a + b * 256;
            int s = 0;
            for (int j = 0; j < 8; j++)
            {
                byte* q = qs + 32 * (j / 2);
                int shift = 4 * (j & 1), dot = 0;
                for (int i = 0; i < 32; i++) dot += ((q[i] >> shift) & 0xF) * ab[32 * j + i];
                s += sc[j] * dot;
            }
            Finish(wb, ad[b], s, MinSum(mn, sums + b * 16), ref acc);
        }
        return acc;
    }

    static float V256(byte* w, sbyte* a, float* ad, short* sums, int blocks)
    {
        float acc = 0f;
        byte* sc = stackalloc byte[8];
        byte* mn = stackalloc byte[8];
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = w + b * BlockQ4_K.Bytes;
            DecodeScales(wb + BlockQ4_K.ScalesAt, sc, mn);
            byte* qs = wb + BlockQ4_K.QsAt;
            sbyte* ab = a + b * 256;
            var dot = Vector256<int>.Zero;
            for (int c = 0; c < 4; c++)
            {
                var q = Vector256.Load(qs + 32 * c);
                dot += ByteDot.MulScaled(ByteDot.Low(q), Vector256.Load(ab + 64 * c), Vector256.Create((short)sc[2 * c]));
                dot += ByteDot.MulScaled(ByteDot.High(q), Vector256.Load(ab + 64 * c + 32), Vector256.Create((short)sc[2 * c + 1]));
            }
            Finish(wb, ad[b], Vector256.Sum(dot), MinSumVector(mn, sums + b * 16), ref acc);
        }
        return acc;
    }

    static float V512(byte* w, sbyte* a, float* ad, short* sums, int blocks)
    {
        float acc = 0f;
        byte* sc = stackalloc byte[8];
        byte* mn = stackalloc byte[8];
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = w + b * BlockQ4_K.Bytes;
            DecodeScales(wb + BlockQ4_K.ScalesAt, sc, mn);
            byte* qs = wb + BlockQ4_K.QsAt;
            sbyte* ab = a + b * 256;
            var dot = Vector512<int>.Zero;
            for (int c = 0; c < 4; c++)
            {
                // Low nibbles (sub-block 2c) then high (2c + 1): 64 consecutive values.
                var q = Vector256.Load(qs + 32 * c);
                var nibbles = Vector512.Create(ByteDot.Low(q), ByteDot.High(q));
                var scale = Vector512.Create(Vector256.Create((short)sc[2 * c]), Vector256.Create((short)sc[2 * c + 1]));
                dot += ByteDot.MulScaled(nibbles, Vector512.Load(ab + 64 * c), scale);
            }
            Finish(wb, ad[b], Vector512.Sum(dot), MinSumVector(mn, sums + b * 16), ref acc);
        }
        return acc;
    }

    /// <summary>
    /// The 8 scales and 8 mins of a block's 12 packed bytes, four at a time as ggml's vector kernels
    /// unpack them (same values as <see cref="BlockQ4_K.ScaleMin"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void DecodeScales(byte* packed, byte* scales, byte* mins)
    {
        const uint six = 0x3F3F3F3F, low4 = 0x0F0F0F0F, top2 = 0x03030303;
        uint u0 = Unsafe.ReadUnaligned<uint>(packed), u1 = Unsafe.ReadUnaligned<uint>(packed + 4), u2 = Unsafe.ReadUnaligned<uint>(packed + 8);
        Unsafe.WriteUnaligned(scales, u0 & six);
        Unsafe.WriteUnaligned(scales + 4, (u2 & low4) | (((u0 >> 6) & top2) << 4));
        Unsafe.WriteUnaligned(mins, u1 & six);
        Unsafe.WriteUnaligned(mins + 4, ((u2 >> 4) & low4) | (((u1 >> 6) & top2) << 4));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int MinSum(byte* mins, short* groupSums)
    {
        int m = 0;
        for (int j = 0; j < 8; j++) m += mins[j] * (groupSums[2 * j] + groupSums[2 * j + 1]);
        return m;
    }

    // MinSum in one vpmaddwd: mins widened to m0 m0 m1 m1 … m7 m7 (each min counts for two groups of 16).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int MinSumVector(byte* mins, short* groupSums)
    {
        var m = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<ulong>(mins)).AsByte();
        var m16 = Avx2.ConvertToVector256Int16(Sse2.UnpackLow(m, m));
        return Vector256.Sum(Avx2.MultiplyAddAdjacent(Vector256.Load(groupSums), m16));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Finish(byte* wb, float da, int s, int m, ref float acc)
    {
        float d = QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb)) * da;
        float dmin = QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb + 2)) * da;
        acc = MathF.FusedMultiplyAdd(s, d, acc);
        acc = MathF.FusedMultiplyAdd(-m, dmin, acc);
    }
}
