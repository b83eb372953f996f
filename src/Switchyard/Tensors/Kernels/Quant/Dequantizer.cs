using System.Runtime.InteropServices;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// GGUF/ggml block encodings → float32 rows, bit-exact to ggml's <c>dequantize_row_*</c> as written in C
/// (products rounded one at a time, no fused multiply-add).
/// </summary>
public static class Dequantizer
{
    /// <summary>
    /// Decodes <paramref name="src"/> (exactly <see cref="GgmlTypes.RowBytes"/> bytes for
    /// <paramref name="dst"/>'s length, a whole number of blocks) into <paramref name="dst"/>.
    /// Supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K, Q8_K.
    /// </summary>
    /// <exception cref="ArgumentException">dst is not whole blocks, or src has the wrong length.</exception>
    /// <exception cref="NotSupportedException">No dequantizer for <paramref name="type"/>.</exception>
    public static void DequantizeRow(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        Quantizer.CheckSupported(type);
        int bytes = QuantRows.CheckRow(type, dst.Length, nameof(dst));
        ThrowHelper.CheckLength(nameof(src), src.Length, bytes);
        switch (type)
        {
            case GgmlType.F32: src.CopyTo(MemoryMarshal.AsBytes(dst)); break;
            case GgmlType.F16: LowPrecision.FromHalf(MemoryMarshal.Cast<byte, ushort>(src), dst); break;
            case GgmlType.BF16: LowPrecision.FromBFloat16(MemoryMarshal.Cast<byte, ushort>(src), dst); break;
            case GgmlType.Q8_0: BlockQ8_0.Dequantize(src, dst); break;
            case GgmlType.Q4_0: BlockQ4_0.Dequantize(src, dst); break;
            case GgmlType.Q4_K: BlockQ4_K.Dequantize(src, dst); break;
            case GgmlType.Q6_K: BlockQ6_K.Dequantize(src, dst); break;
            case GgmlType.Q8_K: BlockQ8_K.Dequantize(src, dst); break;
        }
    }
}
