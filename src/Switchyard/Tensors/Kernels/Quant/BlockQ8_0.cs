using System.Buffers.Binary;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// ggml's <c>block_q8_0</c>: 32 values as { f16 d; int8 qs[32] } (34 bytes), x = q·d.
/// </summary>
internal static class BlockQ8_0
{
    public const int Values = 32, Bytes = 34;

    /// <summary><c>quantize_row_q8_0_ref</c>: d = amax/127, q = roundf(x/d) (halves away from zero).</summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int blocks = src.Length / Values;
        for (int b = 0; b < blocks; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * Values, Values);
            Span<byte> block = dst.Slice(b * Bytes, Bytes);
            float amax = 0f;
            for (int j = 0; j < Values; j++) amax = MathF.Max(amax, MathF.Abs(x[j]));
            float d = amax / 127f;
            float id = d != 0f ? 1f / d : 0f;
            QuantMath.WriteHalf(block, 0, d);
            // The float d, not its f16 rounding, divides: ggml does the same.
            for (int j = 0; j < Values; j++) block[2 + j] = (byte)(sbyte)QuantMath.RoundAway(x[j] * id);
        }
    }

    /// <summary><c>dequantize_row_q8_0</c>: x = q·d.</summary>
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int blocks = dst.Length / Values;
        for (int b = 0; b < blocks; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * Bytes, Bytes);
            float d = QuantMath.HalfToFloat(BinaryPrimitives.ReadUInt16LittleEndian(block));
            for (int j = 0; j < Values; j++) dst[b * Values + j] = (sbyte)block[2 + j] * d;
        }
    }
}
