using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// One Q8_0 weight row · one Q8_0-quantized activation row, llama.cpp style: per block 8 exact int32
/// partial dots (lane j = Σ of products 4j..4j+3), converted to float and FMA'd with d_w·d_a into 16
/// float lanes (even blocks into lanes 0–7, odd blocks into lanes 8–15), one fixed-order horizontal sum
/// per row at the end (<see cref="Reduce(Vector256{float})"/>). The scalar, 256- and 512-bit paths and the 4-token prefill
/// kernel (<see cref="DotTokens4"/>) all run this exact float sequence, so results are bit-identical
/// across widths, thread counts and prefill vs decode.
/// </summary>
/// <remarks>
/// Why this order: the former one (a horizontal sum and a scalar FMA per block, in block order) was a
/// serial FMA chain plus a reduction per 32 values and held decode at ~14 GB/s per core; here the FMAs
/// are independent across lanes and there is one reduction per row.
/// Vector paths use ggml's sign trick for s8×s8 on a u8×s8 multiply: |q_w| · (q_a with q_w's sign).
/// Activations never hold −128 (their quantizer clamps to ±127), so negating them cannot overflow.
/// Integer lane sums are ≤ 4·128·127 in magnitude, so their float conversion is exact.
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
        float* acc = stackalloc float[16];
        for (int j = 0; j < 16; j++) acc[j] = 0f;
        for (int b = 0; b < blocks; b++)
        {
            byte* wb = w + b * BlockQ8_0.Bytes;
            sbyte* q = (sbyte*)(wb + 2), ab = a + b * 32;
            float scale = Scale(wb, ad[b]);
            float* lanes = acc + (b & 1) * 8;
            for (int j = 0; j < 8; j++)
            {
                int sum = 0;
                for (int i = 4 * j; i < 4 * j + 4; i++) sum += q[i] * ab[i];
                lanes[j] = MathF.FusedMultiplyAdd(sum, scale, lanes[j]);
            }
        }
        float* v = stackalloc float[8];
        for (int j = 0; j < 8; j++) v[j] = acc[j] + acc[8 + j];
        return Reduce(v[0] + v[4], v[1] + v[5], v[2] + v[6], v[3] + v[7]);
    }

    static float V256(byte* w, sbyte* a, float* ad, int blocks)
    {
        var even = Vector256<float>.Zero;
        var odd = Vector256<float>.Zero;
        int b = 0;
        for (; b + 2 <= blocks; b += 2)
        {
            even = Vector256.FusedMultiplyAdd(Dot256(w + b * BlockQ8_0.Bytes, a + b * 32), Vector256.Create(Scale(w + b * BlockQ8_0.Bytes, ad[b])), even);
            odd = Vector256.FusedMultiplyAdd(Dot256(w + (b + 1) * BlockQ8_0.Bytes, a + (b + 1) * 32), Vector256.Create(Scale(w + (b + 1) * BlockQ8_0.Bytes, ad[b + 1])), odd);
        }
        if (b < blocks)
            even = Vector256.FusedMultiplyAdd(Dot256(w + b * BlockQ8_0.Bytes, a + b * 32), Vector256.Create(Scale(w + b * BlockQ8_0.Bytes, ad[b])), even);
        return Reduce(even + odd);
    }

    // Decode streams each weight matrix once from DRAM while the kernel consumes ~23 GB/s, close to what one core's
    // prefetchers sustain; a software prefetch ~one row (2 KiB) ahead keeps more lines in flight. Decode, 1 thread,
    // 6 alternating runs each: 52.6 → 56.4 tok/s (1 KiB and 4 KiB ahead: no gain). Prefetches never fault past the end.
    const int PrefetchDistance = 2048;

    static float V512(byte* w, sbyte* a, float* ad, int blocks)
    {
        var acc = Vector512<float>.Zero;
        int b = 0;
        // 16 blocks at a time: their 16 scales converted in one vector (the per-block scalar half→float
        // conversion and broadcasts were the bottleneck), each pair's scales then picked by a permute.
        var first = Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
        for (; b + 16 <= blocks; b += 16)
        {
            Vector512<float> scales = Scales16(w + b * BlockQ8_0.Bytes, ad + b);
            var pick = first;
            for (int j = 0; j < 16; j += 2)
            {
                Sse.Prefetch0(w + (b + j) * BlockQ8_0.Bytes + PrefetchDistance);
                acc = Vector512.FusedMultiplyAdd(Dot512(w + (b + j) * BlockQ8_0.Bytes, a + (b + j) * 32), Avx512F.PermuteVar16x32(scales, pick), acc);
                pick += Vector512.Create(2);
            }
        }
        for (; b + 2 <= blocks; b += 2)
        {
            byte* wb = w + b * BlockQ8_0.Bytes;
            var scale = Vector512.Create(Vector256.Create(Scale(wb, ad[b])), Vector256.Create(Scale(wb + BlockQ8_0.Bytes, ad[b + 1])));
            acc = Vector512.FusedMultiplyAdd(Dot512(wb, a + b * 32), scale, acc);
        }
        var even = acc.GetLower();
        if (b < blocks)
            even = Vector256.FusedMultiplyAdd(Dot256(w + b * BlockQ8_0.Bytes, a + b * 32), Vector256.Create(Scale(w + b * BlockQ8_0.Bytes, ad[b])), even);
        return Reduce(even + acc.GetUpper());
    }

    /// <summary>d_w·d_a of the 16 blocks from wb, exactly as <see cref="Scale"/> computes each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Scales16(byte* wb, float* ad)
    {
        // Each gathered int32 starts at a block: its low 16 bits are the block's f16 scale.
        var offsets = Vector256.Create(0, 34, 68, 102, 136, 170, 204, 238);
        var halves = Vector512.Create(Avx2.GatherVector256((int*)wb, offsets, 1), Avx2.GatherVector256((int*)(wb + 8 * BlockQ8_0.Bytes), offsets, 1));
        return QuantMath.HalfToFloat(halves.AsUInt32() & Vector512.Create(0xFFFFu)) * Vector512.Load(ad);
    }

    /// <summary>Block wb's 8 int32 partial dots with 32 activations, as floats (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Dot256(byte* wb, sbyte* a)
    {
        var q = Vector256.Load((sbyte*)(wb + 2));
        return Vector256.ConvertToSingle(ByteDot.MulAdd(Vector256<int>.Zero, Avx2.Abs(q), Avx2.Sign(Vector256.Load(a), q)));
    }

    /// <summary>Blocks wb and wb+1's partial dots with 64 activations: block wb in lanes 0–7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Dot512(byte* wb, sbyte* a) =>
        // A 64-byte load from the first block's quants (it stays inside the pair's 68 bytes) with the second block's
        // quants inserted over its upper half: no merge into a register that the previous iteration wrote.
        Dot512(Avx512F.InsertVector256(Vector512.Load((sbyte*)(wb + 2)), Vector256.Load((sbyte*)(wb + BlockQ8_0.Bytes + 2)), 1), Vector512.Load(a));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Dot512(Vector512<sbyte> q, Vector512<sbyte> x)
    {
        var signed = Vector512.ConditionalSelect(Vector512.LessThan(q, Vector512<sbyte>.Zero), -x, x);
        return Vector512.ConvertToSingle(ByteDot.MulAdd(Vector512<int>.Zero, Avx512BW.Abs(q), signed));
    }

    /// <summary>d_w·d_a for the block at wb.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Scale(byte* wb, float da) => QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(wb)) * da;

    /// <summary>The row's final sum of 8 lanes (even + odd blocks already added lane-wise), in a fixed order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Reduce(Vector256<float> v)
    {
        var h = v.GetLower() + v.GetUpper();
        return Reduce(h.GetElement(0), h.GetElement(1), h.GetElement(2), h.GetElement(3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Reduce(float h0, float h1, float h2, float h3) => (h0 + h2) + (h1 + h3);
}
