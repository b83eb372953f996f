using System.Runtime.InteropServices;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// float32 rows → GGUF/ggml block encodings, as ggml's reference quantizers (<c>quantize_row_*_ref</c>)
/// write them. Layouts and rounding are described in docs/quantization.md.
/// </summary>
public static class Quantizer
{
    /// <summary>
    /// Encodes <paramref name="src"/> (a whole number of blocks of <paramref name="type"/>) into
    /// <paramref name="dst"/>, which must hold exactly <see cref="GgmlTypes.RowBytes"/> bytes.
    /// Supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K, Q8_K.
    /// </summary>
    /// <exception cref="ArgumentException">src is not whole blocks, or dst has the wrong length.</exception>
    /// <exception cref="NotSupportedException">No quantizer for <paramref name="type"/>.</exception>
    public static void QuantizeRow(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        CheckSupported(type);
        int bytes = QuantRows.CheckRow(type, src.Length, nameof(src));
        ThrowHelper.CheckLength(nameof(dst), dst.Length, bytes);
        switch (type)
        {
            case GgmlType.F32: MemoryMarshal.AsBytes(src).CopyTo(dst); break;
            case GgmlType.F16: LowPrecision.ToHalf(src, MemoryMarshal.Cast<byte, ushort>(dst)); break;
            case GgmlType.BF16: LowPrecision.ToBFloat16(src, MemoryMarshal.Cast<byte, ushort>(dst)); break;
            case GgmlType.Q8_0: BlockQ8_0.Quantize(src, dst); break;
            case GgmlType.Q4_0: BlockQ4_0.Quantize(src, dst); break;
            case GgmlType.Q4_K: BlockQ4_K.Quantize(src, dst); break;
            case GgmlType.Q6_K: BlockQ6_K.Quantize(src, dst); break;
            case GgmlType.Q8_K: BlockQ8_K.Quantize(src, dst); break;
        }
    }

    /// <summary>Whether <see cref="QuantizeRow"/> and <see cref="Dequantizer.DequantizeRow"/> handle <paramref name="type"/>.</summary>
    public static bool IsSupported(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16
        or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q4_K or GgmlType.Q6_K or GgmlType.Q8_K;

    internal static void CheckSupported(GgmlType type)
    {
        if (!IsSupported(type)) ThrowNotSupported(type);
    }

    static void ThrowNotSupported(GgmlType type) =>
        throw new NotSupportedException($"no quantizer/dequantizer for {type} (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K, Q8_K)");
}
