using System.Buffers.Binary;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// ggml's <c>block_q4_0</c>: 32 values as { f16 d; uint8 qs[16] } (18 bytes). Value j sits in the low
/// nibble of byte j, value j + 16 in its high nibble; x = (q − 8)·d.
/// </summary>
internal static class BlockQ4_0
{
    public const int Values = 32, Bytes = 18;

    /// <summary>
    /// <c>quantize_row_q4_0_ref</c>: d = max/−8 where max is the signed value of largest magnitude (so it
    /// maps to q = 0 exactly), q = min(15, (int8)(x/d + 8.5)) (truncation).
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int blocks = src.Length / Values;
        for (int b = 0; b < blocks; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * Values, Values);
            Span<byte> block = dst.Slice(b * Bytes, Bytes);
            float amax = 0f, max = 0f;
            for (int j = 0; j < Values; j++)
            {
                if (amax < MathF.Abs(x[j])) { amax = MathF.Abs(x[j]); max = x[j]; }
            }
            float d = max / -8f;
            float id = d != 0f ? 1f / d : 0f;
            QuantMath.WriteHalf(block, 0, d);
            for (int j = 0; j < Values / 2; j++)
            {
                int lo = Math.Min(15, (int)(sbyte)(x[j] * id + 8.5f));
                int hi = Math.Min(15, (int)(sbyte)(x[j + Values / 2] * id + 8.5f));
                block[2 + j] = (byte)(lo | (hi << 4));
            }
        }
    }

    /// <summary><c>dequantize_row_q4_0</c>: x = (q − 8)·d.</summary>
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int blocks = dst.Length / Values;
        for (int b = 0; b < blocks; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * Bytes, Bytes);
            float d = QuantMath.HalfToFloat(BinaryPrimitives.ReadUInt16LittleEndian(block));
            Span<float> y = dst.Slice(b * Values, Values);
            for (int j = 0; j < Values / 2; j++)
            {
                y[j] = ((block[2 + j] & 0xF) - 8) * d;
                y[j + Values / 2] = ((block[2 + j] >> 4) - 8) * d;
            }
        }
    }
}
