using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// The activations x of a quantized matmul, quantized once per call to 8-bit blocks: Q8_0-style
/// (32 values, d = amax/127, q = round(x/d)) for Q8_0/Q4_0 weights, Q8_K (256 values) for K-quant
/// weights. Scales stay float32 (ggml rounds Q8_0's to f16; keeping them is more accurate and free),
/// and every 16 quants carry their sum, which the dot products use to fold weight offsets
/// (q − 8, q − 32, mins) into one multiply per group. One cached instance per calling thread, in
/// pinned arrays that only grow: a steady-state call allocates nothing.
/// </summary>
internal sealed unsafe class QuantActivations
{
    [ThreadStatic] static QuantActivations? _cached;

    sbyte[] _qs = [];
    float[] _scales = [];
    short[] _sums = [];

    /// <summary>Quants, [tokens, cols].</summary>
    public sbyte* Qs;

    /// <summary>One scale per block, [tokens, cols / blockValues].</summary>
    public float* Scales;

    /// <summary>Sum of each 16 consecutive quants, [tokens, cols / 16].</summary>
    public short* Sums;

    /// <summary>This thread's buffers.</summary>
    public static QuantActivations Get() => _cached ??= new QuantActivations();

    /// <summary>
    /// Quantizes x [tokens, cols] in blocks of <paramref name="blockValues"/> (32 or 256). The 512-bit
    /// path produces the same bytes as the scalar one (same float operations per value).
    /// </summary>
    public void Quantize(ReadOnlySpan<float> x, int tokens, int cols, int blockValues, SimdWidth width)
    {
        int values = tokens * cols;
        Grow(ref _qs, values, ref Qs);
        Grow(ref _scales, values / blockValues, ref Scales);
        Grow(ref _sums, values / 16, ref Sums);
        if (width == SimdWidth.V512 && Avx512BW.IsSupported)
        {
            fixed (float* px = x)
            {
                for (int b = 0; b < values / blockValues; b++)
                {
                    float* xb = px + (long)b * blockValues;
                    sbyte* qb = Qs + (long)b * blockValues;
                    short* sb = Sums + (long)b * (blockValues / 16);
                    Scales[b] = blockValues == BlockQ8_K.Values ? QuantizeQ8_KVector(xb, qb, sb) : QuantizeQ8_0Vector(xb, qb, sb);
                }
            }
            return;
        }
        var qs = new Span<sbyte>(Qs, values);
        int blocks = values / blockValues;
        for (int b = 0; b < blocks; b++)
        {
            ReadOnlySpan<float> xb = x.Slice(b * blockValues, blockValues);
            Span<sbyte> qb = qs.Slice(b * blockValues, blockValues);
            Scales[b] = blockValues == BlockQ8_K.Values ? BlockQ8_K.QuantizeBlock(xb, qb) : QuantizeQ8_0(xb, qb);
        }
        for (int g = 0; g < values / 16; g++)
        {
            int sum = 0;
            for (int i = 0; i < 16; i++) sum += Qs[16 * g + i];
            Sums[g] = (short)sum;
        }
    }

    // quantize_row_q8_0_ref's rounding with a float32 scale: |q| ≤ 127, never −128, which the
    // sign trick of the vector dot products relies on.
    static float QuantizeQ8_0(ReadOnlySpan<float> x, Span<sbyte> q)
    {
        float amax = 0f;
        for (int j = 0; j < x.Length; j++) amax = MathF.Max(amax, MathF.Abs(x[j]));
        float d = amax / 127f;
        float id = d != 0f ? 1f / d : 0f;
        for (int j = 0; j < x.Length; j++) q[j] = (sbyte)Math.Clamp(QuantMath.RoundAway(x[j] * id), -127f, 127f);
        return d;
    }

    static float QuantizeQ8_0Vector(float* x, sbyte* q, short* sums)
    {
        var x0 = Vector512.Load(x);
        var x1 = Vector512.Load(x + 16);
        float amax = MaxAcross(Vector512.Max(Vector512.Abs(x0), Vector512.Abs(x1)));
        float d = amax / 127f;
        float id = d != 0f ? 1f / d : 0f;
        StoreRoundAway(x0 * id, q, sums);
        StoreRoundAway(x1 * id, q + 16, sums + 1);
        return d;
    }

    // roundf (halves away from zero), clamped to ±127, as QuantizeQ8_0: trunc(v) plus ±1 where the
    // dropped fraction (exact: v − trunc(v)) is at least one half.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreRoundAway(Vector512<float> v, sbyte* q, short* sum)
    {
        var t = Vector512.Truncate(v);
        var away = Vector512.GreaterThanOrEqual(Vector512.Abs(v - t), Vector512.Create(0.5f));
        var step = Vector512.ConditionalSelect(Vector512.LessThan(v, Vector512<float>.Zero), Vector512.Create(-1f), Vector512<float>.One);
        var r = Vector512.Clamp(t + (step & away), Vector512.Create(-127f), Vector512.Create(127f));
        var i = Vector512.ConvertToInt32(r);
        Avx512F.ConvertToVector128SByte(i).Store(q);
        *sum = (short)Vector512.Sum(i);
    }

    static float QuantizeQ8_KVector(float* x, sbyte* q, short* sums)
    {
        var m = Vector512<float>.Zero;
        for (int j = 0; j < BlockQ8_K.Values; j += 16) m = Vector512.Max(m, Vector512.Abs(Vector512.Load(x + j)));
        float amax = MaxAcross(m);
        if (amax == 0f)
        {
            new Span<sbyte>(q, BlockQ8_K.Values).Clear();
            new Span<short>(sums, 16).Clear();
            return 0f;
        }
        // The scalar quantizer keeps the first value of largest magnitude, with its sign.
        float max = 0f;
        for (int j = 0; j < BlockQ8_K.Values; j++)
        {
            if (MathF.Abs(x[j]) == amax) { max = x[j]; break; }
        }
        float iscale = -127f / max;
        var vs = Vector512.Create(iscale);
        for (int j = 0; j < BlockQ8_K.Values; j += 16)
        {
            // nearest_int on 16 lanes: the same add of 1.5·2²³ and bit extraction.
            var shifted = (Vector512.Load(x + j) * vs + Vector512.Create(12582912f)).AsInt32();
            var i = Vector512.Min((shifted & Vector512.Create(0x007FFFFF)) - Vector512.Create(0x00400000), Vector512.Create(127));
            Avx512F.ConvertToVector128SByte(i).Store(q + j);
            sums[j / 16] = (short)Vector512.Sum(i);
        }
        return 1 / iscale;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float MaxAcross(Vector512<float> v)
    {
        var m256 = Vector256.Max(v.GetLower(), v.GetUpper());
        var m128 = Vector128.Max(m256.GetLower(), m256.GetUpper());
        return MathF.Max(MathF.Max(m128[0], m128[1]), MathF.Max(m128[2], m128[3]));
    }

    static void Grow<T>(ref T[] array, int length, ref T* pointer) where T : unmanaged
    {
        if (array.Length >= length && pointer != null) return;
        // Round up so a slowly growing token count does not reallocate every call.
        array = GC.AllocateUninitializedArray<T>(Math.Max(length, array.Length * 2), pinned: true);
        pointer = (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
    }
}
