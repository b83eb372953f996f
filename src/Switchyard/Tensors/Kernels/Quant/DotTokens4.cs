using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// Prefill micro-kernels at 512 bits: one weight row against 4 tokens at once, so each weight block is
/// loaded and decoded (nibbles split, scales unpacked, f16 scales converted) once per 4 tokens instead
/// of once per token. Each token's result is computed by exactly the float steps of its single-token
/// kernel (same integer sums, same FMA sequence), so a prompt's rows stay bit-identical to decoding the
/// same tokens one at a time.
/// </summary>
internal static unsafe class DotTokens4
{
    public const int Tokens = 4;

    /// <summary>Whether <see cref="Compute"/> has a 4-token kernel for this type and width.</summary>
    public static bool Handles(GgmlType type, SimdWidth width) =>
        width == SimdWidth.V512 && ByteDot.Has512 &&
        type is GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q4_K or GgmlType.Q6_K or GgmlType.F16 or GgmlType.BF16;

    /// <summary>
    /// results[k] = row · token (t0 + k), k &lt; 4. Activations: x (float, F16/BF16) or the quantized
    /// <paramref name="act"/> with rows of <paramref name="cols"/> values.
    /// </summary>
    public static void Compute(GgmlType type, byte* w, float* x, QuantActivations? act, int t0, int cols, float* results)
    {
        switch (type)
        {
            case GgmlType.F16: Half4((ushort*)w, x + (long)t0 * cols, cols, results, bf16: false); break;
            case GgmlType.BF16: Half4((ushort*)w, x + (long)t0 * cols, cols, results, bf16: true); break;
            case GgmlType.Q8_0: Q8_0(w, act!, t0, cols, results); break;
            case GgmlType.Q4_0: Q4_0(w, act!, t0, cols, results); break;
            case GgmlType.Q4_K: Q4_K(w, act!, t0, cols, results); break;
            case GgmlType.Q6_K: Q6_K(w, act!, t0, cols, results); break;
        }
    }

    // The 4-token form of DotQ8_0.V512: the same lanes, FMAs and final reduction per token.
    static void Q8_0(byte* w, QuantActivations act, int t0, int cols, float* results)
    {
        int blocks = cols / 32;
        sbyte* a = act.Qs + (long)t0 * cols;
        float* ad = act.Scales + (long)t0 * blocks;
        sbyte* a1 = a + cols, a2 = a + 2L * cols, a3 = a + 3L * cols;
        float* ad1 = ad + blocks, ad2 = ad + 2L * blocks, ad3 = ad + 3L * blocks;
        var acc0 = Vector512<float>.Zero; var acc1 = Vector512<float>.Zero;
        var acc2 = Vector512<float>.Zero; var acc3 = Vector512<float>.Zero;
        int b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            byte* wb = w + b * BlockQ8_0.Bytes;
            var q = Vector512.Create(Vector256.Load((sbyte*)(wb + 2)), Vector256.Load((sbyte*)(wb + BlockQ8_0.Bytes + 2)));
            float d0 = QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb));
            float d1 = QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb + BlockQ8_0.Bytes));
            int at = b * 32;
            acc0 = Vector512.FusedMultiplyAdd(DotQ8_0.Dot512(q, Vector512.Load(a + at)), Scales(d0, d1, ad + b), acc0);
            acc1 = Vector512.FusedMultiplyAdd(DotQ8_0.Dot512(q, Vector512.Load(a1 + at)), Scales(d0, d1, ad1 + b), acc1);
            acc2 = Vector512.FusedMultiplyAdd(DotQ8_0.Dot512(q, Vector512.Load(a2 + at)), Scales(d0, d1, ad2 + b), acc2);
            acc3 = Vector512.FusedMultiplyAdd(DotQ8_0.Dot512(q, Vector512.Load(a3 + at)), Scales(d0, d1, ad3 + b), acc3);
        }
        results[0] = Q8_0Finish(w, a, ad, b, blocks, acc0);
        results[1] = Q8_0Finish(w, a1, ad1, b, blocks, acc1);
        results[2] = Q8_0Finish(w, a2, ad2, b, blocks, acc2);
        results[3] = Q8_0Finish(w, a3, ad3, b, blocks, acc3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Scales(float d0, float d1, float* da) =>
        Vector512.Create(Vector256.Create(d0 * da[0]), Vector256.Create(d1 * da[1]));

    // DotQ8_0.V512's odd tail block (into the even lanes) and final reduction.
    static float Q8_0Finish(byte* w, sbyte* a, float* ad, int b, int blocks, Vector512<float> acc)
    {
        var even = acc.GetLower();
        if (b < blocks)
            even = Vector256.FusedMultiplyAdd(DotQ8_0.Dot256(w + b * BlockQ8_0.Bytes, a + b * 32), Vector256.Create(DotQ8_0.Scale(w + b * BlockQ8_0.Bytes, ad[b])), even);
        return DotQ8_0.Reduce(even + acc.GetUpper());
    }

    static void Q4_0(byte* w, QuantActivations act, int t0, int cols, float* acc)
    {
        int blocks = cols / 32, groups = cols / 16;
        sbyte* a = act.Qs + (long)t0 * cols;
        float* ad = act.Scales + (long)t0 * blocks;
        short* sums = act.Sums + (long)t0 * groups;
        for (int k = 0; k < Tokens; k++) acc[k] = 0f;
        int b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            byte* wb = w + b * BlockQ4_0.Bytes;
            var q0 = Vector128.Load(wb + 2);
            var q1 = Vector128.Load(wb + BlockQ4_0.Bytes + 2);
            var nibbles = Vector512.Create(Vector256.Create(ByteDot.Low(q0), ByteDot.High(q0)), Vector256.Create(ByteDot.Low(q1), ByteDot.High(q1)));
            float d0 = QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb));
            float d1 = QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb + BlockQ4_0.Bytes));
            for (int k = 0; k < Tokens; k++)
            {
                var dot = ByteDot.MulAdd(Vector512<int>.Zero, nibbles, Vector512.Load(a + (long)k * cols + b * 32));
                float* dk = ad + (long)k * blocks + b;
                short* sk = sums + (long)k * groups + 2 * b;
                var (lower, upper) = ByteDot.SumHalves(dot);
                acc[k] = MathF.FusedMultiplyAdd(lower - 8 * (sk[0] + sk[1]), d0 * dk[0], acc[k]);
                acc[k] = MathF.FusedMultiplyAdd(upper - 8 * (sk[2] + sk[3]), d1 * dk[1], acc[k]);
            }
        }
        if (b < blocks)
        {
            byte* wb = w + b * BlockQ4_0.Bytes;
            var q = Vector128.Load(wb + 2);
            var nibbles = Vector256.Create(ByteDot.Low(q), ByteDot.High(q));
            float d0 = QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb));
            for (int k = 0; k < Tokens; k++)
            {
                var dot = ByteDot.MulAdd(Vector256<int>.Zero, nibbles, Vector256.Load(a + (long)k * cols + b * 32));
                short* sk = sums + (long)k * groups + 2 * b;
                acc[k] = MathF.FusedMultiplyAdd(Vector256.Sum(dot) - 8 * (sk[0] + sk[1]), d0 * ad[(long)k * blocks + b], acc[k]);
            }
        }
    }

    static void Q4_K(byte* w, QuantActivations act, int t0, int cols, float* acc)
    {
        int blocks = cols / 256, groups = cols / 16;
        sbyte* a = act.Qs + (long)t0 * cols;
        float* ad = act.Scales + (long)t0 * blocks;
        short* sums = act.Sums + (long)t0 * groups;
        byte* sc = stackalloc byte[8];
        byte* mn = stackalloc byte[8];
        for (int k = 0; k < Tokens; k++) acc[k] = 0f;
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = w + b * BlockQ4_K.Bytes;
            DotQ4_K.DecodeScales(wb + BlockQ4_K.ScalesAt, sc, mn);
            byte* qs = wb + BlockQ4_K.QsAt;
            var q0 = Vector256.Load(qs);
            var q1 = Vector256.Load(qs + 32);
            var q2 = Vector256.Load(qs + 64);
            var q3 = Vector256.Load(qs + 96);
            var n0 = Vector512.Create(ByteDot.Low(q0), ByteDot.High(q0));
            var n1 = Vector512.Create(ByteDot.Low(q1), ByteDot.High(q1));
            var n2 = Vector512.Create(ByteDot.Low(q2), ByteDot.High(q2));
            var n3 = Vector512.Create(ByteDot.Low(q3), ByteDot.High(q3));
            var s0 = Vector512.Create(Vector256.Create((short)sc[0]), Vector256.Create((short)sc[1]));
            var s1 = Vector512.Create(Vector256.Create((short)sc[2]), Vector256.Create((short)sc[3]));
            var s2 = Vector512.Create(Vector256.Create((short)sc[4]), Vector256.Create((short)sc[5]));
            var s3 = Vector512.Create(Vector256.Create((short)sc[6]), Vector256.Create((short)sc[7]));
            float d = QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb));
            float dmin = QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb + 2));
            for (int k = 0; k < Tokens; k++)
            {
                sbyte* ak = a + (long)k * cols + b * 256;
                var dot = ByteDot.MulScaled(n0, Vector512.Load(ak), s0)
                    + ByteDot.MulScaled(n1, Vector512.Load(ak + 64), s1)
                    + ByteDot.MulScaled(n2, Vector512.Load(ak + 128), s2)
                    + ByteDot.MulScaled(n3, Vector512.Load(ak + 192), s3);
                int m = DotQ4_K.MinSumVector(mn, sums + (long)k * groups + b * 16);
                float da = ad[(long)k * blocks + b];
                acc[k] = MathF.FusedMultiplyAdd(Vector512.Sum(dot), d * da, acc[k]);
                acc[k] = MathF.FusedMultiplyAdd(-m, dmin * da, acc[k]);
            }
        }
    }

    static void Q6_K(byte* w, QuantActivations act, int t0, int cols, float* acc)
    {
        int blocks = cols / 256, groups = cols / 16;
        sbyte* a = act.Qs + (long)t0 * cols;
        float* ad = act.Scales + (long)t0 * blocks;
        short* sums = act.Sums + (long)t0 * groups;
        var bits45 = Vector512.Create((byte)0x30);
        for (int k = 0; k < Tokens; k++) acc[k] = 0f;
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = w + b * BlockQ6_K.Bytes;
            sbyte* sc = (sbyte*)(wb + BlockQ6_K.ScalesAt);
            var qh0 = Vector256.Load(wb + BlockQ6_K.QhAt).AsUInt16();
            var qh1 = Vector256.Load(wb + BlockQ6_K.QhAt + 32).AsUInt16();
            var ql0 = Vector512.Load(wb);
            var ql1 = Vector512.Load(wb + 64);
            var v0 = ByteDot.Low(ql0) | (Vector512.Create(Vector256.ShiftLeft(qh0, 4), Vector256.ShiftLeft(qh0, 2)).AsByte() & bits45);
            var v1 = ByteDot.High(ql0) | (Vector512.Create(qh0, Vector256.ShiftRightLogical(qh0, 2)).AsByte() & bits45);
            var v2 = ByteDot.Low(ql1) | (Vector512.Create(Vector256.ShiftLeft(qh1, 4), Vector256.ShiftLeft(qh1, 2)).AsByte() & bits45);
            var v3 = ByteDot.High(ql1) | (Vector512.Create(qh1, Vector256.ShiftRightLogical(qh1, 2)).AsByte() & bits45);
            var scales = DotQ6_K.Scales16(sc);
            var s0 = DotQ6_K.Quad(scales, 0);
            var s1 = DotQ6_K.Quad(scales, 1);
            var s2 = DotQ6_K.Quad(scales, 2);
            var s3 = DotQ6_K.Quad(scales, 3);
            var sc16 = Avx2.ConvertToVector256Int16(Vector128.Load(sc));
            float d = QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb + BlockQ6_K.DAt));
            for (int k = 0; k < Tokens; k++)
            {
                sbyte* ak = a + (long)k * cols + b * 256;
                var dot = ByteDot.MulScaled(v0, Vector512.Load(ak), s0)
                    + ByteDot.MulScaled(v1, Vector512.Load(ak + 64), s1)
                    + ByteDot.MulScaled(v2, Vector512.Load(ak + 128), s2)
                    + ByteDot.MulScaled(v3, Vector512.Load(ak + 192), s3);
                var offsets = Vector256.ShiftLeft(Avx2.MultiplyAddAdjacent(Vector256.Load(sums + (long)k * groups + b * 16), sc16), 5);
                acc[k] = MathF.FusedMultiplyAdd(Vector512.Sum(dot) - Vector256.Sum(offsets), d * ad[(long)k * blocks + b], acc[k]);
            }
        }
    }

    // The 4-token form of DotF16/DotBF16.V512: the same two accumulators per token, the same tail.
    static void Half4(ushort* w, float* x, int n, float* results, bool bf16)
    {
        var a0 = Vector512<float>.Zero; var b0 = Vector512<float>.Zero;
        var a1 = Vector512<float>.Zero; var b1 = Vector512<float>.Zero;
        var a2 = Vector512<float>.Zero; var b2 = Vector512<float>.Zero;
        var a3 = Vector512<float>.Zero; var b3 = Vector512<float>.Zero;
        float* x0 = x, x1 = x + n, x2 = x + 2L * n, x3 = x + 3L * n;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            var h = Vector512.Load(w + i);
            Vector512<float> lo, hi;
            if (bf16)
            {
                lo = Vector512.ShiftLeft(Vector512.WidenLower(h), 16).AsSingle();
                hi = Vector512.ShiftLeft(Vector512.WidenUpper(h), 16).AsSingle();
            }
            else
            {
                lo = QuantMath.HalfToFloat(Vector512.WidenLower(h));
                hi = QuantMath.HalfToFloat(Vector512.WidenUpper(h));
            }
            a0 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(x0 + i), a0); b0 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(x0 + i + 16), b0);
            a1 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(x1 + i), a1); b1 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(x1 + i + 16), b1);
            a2 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(x2 + i), a2); b2 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(x2 + i + 16), b2);
            a3 = Vector512.FusedMultiplyAdd(lo, Vector512.Load(x3 + i), a3); b3 = Vector512.FusedMultiplyAdd(hi, Vector512.Load(x3 + i + 16), b3);
        }
        results[0] = Tail(w, x0, n, i, Vector512.Sum(a0 + b0), bf16);
        results[1] = Tail(w, x1, n, i, Vector512.Sum(a1 + b1), bf16);
        results[2] = Tail(w, x2, n, i, Vector512.Sum(a2 + b2), bf16);
        results[3] = Tail(w, x3, n, i, Vector512.Sum(a3 + b3), bf16);
    }

    static float Tail(ushort* w, float* x, int n, int i, float acc, bool bf16) =>
        bf16 ? DotBF16.Scalar(w, x, n, i, acc) : DotF16.Scalar(w, x, n, i, acc);
}
