using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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

    /// <summary>
    /// Half bits to float (exact), branch-light: the exponent/mantissa bits moved to float position and
    /// scaled by 2¹¹² (exact for normals and subnormals alike), infinities and NaNs patched, sign put back.
    /// A kernel converts one scale per block, so this sits on the hot path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HalfToFloat(ushort bits)
    {
        uint em = bits & 0x7FFFu;
        float f = BitConverter.UInt32BitsToSingle(em << 13) * 5.192296858534828e33f; // 2^112
        uint u = em >= 0x7C00u ? (em << 13) | 0x7F800000u : BitConverter.SingleToUInt32Bits(f);
        return BitConverter.UInt32BitsToSingle(u | ((bits & 0x8000u) << 16));
    }

    /// <summary><see cref="HalfToFloat(ushort)"/> on 8 lanes of half bits (zero-extended to 32 bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> HalfToFloat(Vector256<uint> bits)
    {
        var em = bits & Vector256.Create(0x7FFFu);
        var shifted = Vector256.ShiftLeft(em, 13);
        var f = shifted.AsSingle() * Vector256.Create(5.192296858534828e33f);
        var special = (shifted | Vector256.Create(0x7F800000u)).AsSingle();
        f = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(em, Vector256.Create(0x7C00u)).AsSingle(), special, f);
        return (f.AsUInt32() | Vector256.ShiftLeft(bits & Vector256.Create(0x8000u), 16)).AsSingle();
    }

    /// <summary><see cref="HalfToFloat(ushort)"/> on 16 lanes of half bits (zero-extended to 32 bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> HalfToFloat(Vector512<uint> bits)
    {
        var em = bits & Vector512.Create(0x7FFFu);
        var shifted = Vector512.ShiftLeft(em, 13);
        var f = shifted.AsSingle() * Vector512.Create(5.192296858534828e33f);
        var special = (shifted | Vector512.Create(0x7F800000u)).AsSingle();
        f = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(em, Vector512.Create(0x7C00u)).AsSingle(), special, f);
        return (f.AsUInt32() | Vector512.ShiftLeft(bits & Vector512.Create(0x8000u), 16)).AsSingle();
    }
}
