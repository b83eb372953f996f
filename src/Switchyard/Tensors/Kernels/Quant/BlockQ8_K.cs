namespace Switchyard.Tensors.Kernels;

/// <summary>
/// ggml's <c>block_q8_K</c>: 256 values as { float d; int8 qs[256]; int16 bsums[16] } (292 bytes),
/// x = q·d, bsums[g] = Σ of the 16 quants of group g. The activation side of the K-quant dot products.
/// </summary>
internal static class BlockQ8_K
{
    public const int Values = 256, Bytes = 292, QsAt = 4, SumsAt = 260;

    /// <summary>
    /// <c>quantize_row_q8_K_ref</c>: iscale = −127/max (max = the signed value of largest magnitude),
    /// q = min(127, nearest_int(iscale·x)), d = 1/iscale. An all-zero block gets d = 0 and zero quants
    /// and sums (ggml leaves its sums unwritten).
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        int blocks = src.Length / Values;
        for (int b = 0; b < blocks; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * Values, Values);
            Span<byte> block = dst.Slice(b * Bytes, Bytes);
            Span<sbyte> qs = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(block.Slice(QsAt, Values));
            float d = QuantizeBlock(x, qs);
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(block, d);
            for (int g = 0; g < 16; g++)
            {
                int sum = 0;
                for (int i = 0; i < 16; i++) sum += qs[16 * g + i];
                System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(block.Slice(SumsAt + 2 * g), (short)sum);
            }
        }
    }

    /// <summary>Quantizes 256 values into <paramref name="qs"/> and returns d (the shared core of the byte and activation forms).</summary>
    public static float QuantizeBlock(ReadOnlySpan<float> x, Span<sbyte> qs)
    {
        float max = 0, amax = 0;
        for (int j = 0; j < Values; j++)
        {
            float ax = MathF.Abs(x[j]);
            if (ax > amax) { amax = ax; max = x[j]; }
        }
        if (amax == 0f)
        {
            qs.Slice(0, Values).Clear();
            return 0f;
        }
        float iscale = -127f / max;
        for (int j = 0; j < Values; j++) qs[j] = (sbyte)Math.Min(127, QuantMath.NearestInt(iscale * x[j]));
        return 1 / iscale;
    }

    /// <summary><c>dequantize_row_q8_K</c>: x = d·q.</summary>
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int blocks = dst.Length / Values;
        for (int b = 0; b < blocks; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * Bytes, Bytes);
            float d = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(block);
            for (int j = 0; j < Values; j++) dst[b * Values + j] = d * (sbyte)block[QsAt + j];
        }
    }
}
