using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Switchyard.Tensors.Kernels;

/// <summary>The rounding and half-precision helpers ggml's quantizers are written in terms of.</summary>
internal static class QuantMath
{
    /// <summary>
    /// ggml's <c>nearest_int</c>: round to nearest, ties to even, by adding 1.5·2²³ so the FPU rounds
    /// (valid for |v| ≤ 4194303). Not <c>roundf</c>: the K quantizers use this one, and ties differ.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int NearestInt(float v)
    {
        float shifted = v + 12582912f;
        return (BitConverter.SingleToInt32Bits(shifted) & 0x007FFFFF) - 0x00400000;
    }

    /// <summary>C's <c>roundf</c>: halves away from zero (Q8_0's quantizer uses it).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float RoundAway(float v) => MathF.Round(v, MidpointRounding.AwayFromZero);

    /// <summary>Reads a little-endian IEEE half at <paramref name="at"/> as a float (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ReadHalf(ReadOnlySpan<byte> bytes, int at) =>
        (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(at, 2)));

    /// <summary>Writes <paramref name="v"/> rounded to the nearest half (ties to even), as GGML_FP32_TO_FP16 does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteHalf(Span<byte> bytes, int at, float v) =>
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.Slice(at, 2), BitConverter.HalfToUInt16Bits((Half)v));

    /// <summary><paramref name="v"/> rounded to half precision and back: the value a stored f16 scale has.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float RoundToHalf(float v) => (float)(Half)v;

    /// <summary>Half bits to float (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HalfToFloat(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);
}
