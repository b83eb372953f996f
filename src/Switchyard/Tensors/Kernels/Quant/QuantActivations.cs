using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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

    /// <summary>Quantizes x [tokens, cols] in blocks of <paramref name="blockValues"/> (32 or 256).</summary>
    public void Quantize(ReadOnlySpan<float> x, int tokens, int cols, int blockValues)
    {
        int values = tokens * cols;
        Grow(ref _qs, values, ref Qs);
        Grow(ref _scales, values / blockValues, ref Scales);
        Grow(ref _sums, values / 16, ref Sums);
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

    static void Grow<T>(ref T[] array, int length, ref T* pointer) where T : unmanaged
    {
        if (array.Length >= length && pointer != null) return;
        // Round up so a slowly growing token count does not reallocate every call.
        array = GC.AllocateUninitializedArray<T>(Math.Max(length, array.Length * 2), pinned: true);
        pointer = (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
    }
}
