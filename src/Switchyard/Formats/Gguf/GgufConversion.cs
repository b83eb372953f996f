using System.Runtime.InteropServices;
using Switchyard.Tensors;

namespace Switchyard.Formats.Gguf;

/// <summary>ggml storage ↔ float32 for the GGUF reader and writer.</summary>
internal static class GgufConversion
{
    /// <summary>Whether <see cref="Dequantize"/> handles <paramref name="type"/>.</summary>
    public static bool CanDequantize(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16;

    /// <summary>Whether <see cref="Quantize"/> handles <paramref name="type"/>.</summary>
    public static bool CanQuantize(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16;

    /// <summary>Whole blocks of <paramref name="type"/> in <paramref name="src"/> → float32 values.</summary>
    public static void Dequantize(GgmlType type, ReadOnlySpan<byte> src, Span<float> dst)
    {
        switch (type)
        {
            case GgmlType.F32: MemoryMarshal.Cast<byte, float>(src).CopyTo(dst); break;
            case GgmlType.F16: LowPrecision.FromHalf(MemoryMarshal.Cast<byte, ushort>(src), dst); break;
            case GgmlType.BF16: LowPrecision.FromBFloat16(MemoryMarshal.Cast<byte, ushort>(src), dst); break;
            default: throw new NotSupportedException($"cannot convert {type} to float32");
        }
    }

    /// <summary>float32 values (whole blocks) → <paramref name="type"/> storage.</summary>
    public static void Quantize(GgmlType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        switch (type)
        {
            case GgmlType.F32: MemoryMarshal.AsBytes(src).CopyTo(dst); break;
            case GgmlType.F16: LowPrecision.ToHalf(src, MemoryMarshal.Cast<byte, ushort>(dst)); break;
            case GgmlType.BF16: LowPrecision.ToBFloat16(src, MemoryMarshal.Cast<byte, ushort>(dst)); break;
            default: throw new NotSupportedException($"cannot encode float32 as {type}");
        }
    }
}
