using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Formats.Gguf;

/// <summary>ggml storage ↔ float32 for the GGUF reader and writer, through the quant kernels.</summary>
internal static class GgufConversion
{
    /// <summary>Whether <see cref="Dequantize"/> handles <paramref name="type"/>.</summary>
    public static bool CanDequantize(GgmlType type) => Quantizer.IsSupported(type);

    /// <summary>Whether <see cref="Quantize"/> handles <paramref name="type"/>.</summary>
    public static bool CanQuantize(GgmlType type) => Quantizer.IsSupported(type);

    /// <summary>Whole blocks of <paramref name="type"/> in <paramref name="src"/> → float32 values.</summary>
    // Blocks are independent, so a span of whole blocks is a valid "row" for the kernels whatever the tensor's rows are.
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst) => Dequantizer.DequantizeRow(type, src, dst);

    /// <summary>float32 values (whole blocks) → <paramref name="type"/> storage.</summary>
    public static void Quantize(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst) => Quantizer.QuantizeRow(type, src, dst);
}
