using System.Runtime.InteropServices;

namespace Switchyard.Tensors;

/// <summary>
/// float32 ↔ IEEE half (f16) and bfloat16 conversion, round-to-nearest-even, NaN kept NaN.
/// Storage formats only: all compute stays in float32.
/// </summary>
public static class LowPrecision
{
    /// <summary>Converts each float to IEEE binary16 bits.</summary>
    public static void ToHalf(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        CheckLengths(src.Length, dst.Length);
        for (int i = 0; i < src.Length; i++) dst[i] = BitConverter.HalfToUInt16Bits((Half)src[i]);
    }

    /// <summary>Converts IEEE binary16 bits to floats (exact).</summary>
    public static void FromHalf(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        CheckLengths(src.Length, dst.Length);
        for (int i = 0; i < src.Length; i++) dst[i] = (float)BitConverter.UInt16BitsToHalf(src[i]);
    }

    /// <summary>Converts each float to bfloat16 bits with round-to-nearest-even.</summary>
    public static void ToBFloat16(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        CheckLengths(src.Length, dst.Length);
        ReadOnlySpan<uint> bits = MemoryMarshal.Cast<float, uint>(src);
        for (int i = 0; i < bits.Length; i++) dst[i] = ToBFloat16Bits(bits[i]);
    }

    /// <summary>Converts bfloat16 bits to floats (exact: a bf16 is the top half of a float).</summary>
    public static void FromBFloat16(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        CheckLengths(src.Length, dst.Length);
        Span<uint> bits = MemoryMarshal.Cast<float, uint>(dst);
        for (int i = 0; i < src.Length; i++) bits[i] = (uint)src[i] << 16;
    }

    /// <summary>One float's bits to bfloat16 bits, round-to-nearest-even; NaNs stay quiet NaNs.</summary>
    public static ushort ToBFloat16Bits(uint f)
    {
        if ((f & 0x7FFFFFFF) > 0x7F800000) return (ushort)((f >> 16) | 0x0040);
        uint rounding = 0x7FFF + ((f >> 16) & 1);
        return (ushort)((f + rounding) >> 16);
    }

    static void CheckLengths(int src, int dst)
    {
        if (src != dst) throw new ArgumentException($"source has {src} elements, destination {dst}");
    }
}
