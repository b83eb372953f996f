using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Switchyard.Tensors;

namespace Switchyard.Formats;

/// <summary>Stored little-endian elements ↔ float32, one dtype at a time; no allocation per call.</summary>
internal static class DTypeConverter
{
    // 8-bit types decode through a 256-entry table each: exact and branch-free.
    static readonly float[] E4M3 = Table(b => SmallFloat(b, 4, 3, 7, fnuz: false, hasInf: false));
    static readonly float[] E5M2 = Table(b => (float)BitConverter.UInt16BitsToHalf((ushort)(b << 8)));
    static readonly float[] E4M3Fnuz = Table(b => SmallFloat(b, 4, 3, 8, fnuz: true, hasInf: false));
    static readonly float[] E5M2Fnuz = Table(b => SmallFloat(b, 5, 2, 16, fnuz: true, hasInf: false));
    static readonly float[] E8M0 = Table(b => b == 0xFF ? float.NaN : MathF.ScaleB(1f, b - 127));
    static readonly float[] Int8 = Table(b => (sbyte)b);
    static readonly float[] UInt8 = Table(b => b);
    static readonly float[] Bool = Table(b => b == 0 ? 0f : 1f);

    /// <summary>Converts <paramref name="src"/> (exactly dst.Length elements of <paramref name="dtype"/>) to floats.</summary>
    public static void ToFloat32(TensorDType dtype, ReadOnlySpan<byte> src, Span<float> dst)
    {
        switch (dtype)
        {
            case TensorDType.F32:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(src).CopyTo(dst);
                else for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
                break;
            case TensorDType.F16:
                if (BitConverter.IsLittleEndian) LowPrecision.FromHalf(MemoryMarshal.Cast<byte, ushort>(src), dst);
                else for (int i = 0; i < dst.Length; i++) dst[i] = (float)BitConverter.UInt16BitsToHalf(U16(src, i));
                break;
            case TensorDType.BF16:
                if (BitConverter.IsLittleEndian) LowPrecision.FromBFloat16(MemoryMarshal.Cast<byte, ushort>(src), dst);
                else for (int i = 0; i < dst.Length; i++) dst[i] = BitConverter.UInt32BitsToSingle((uint)U16(src, i) << 16);
                break;
            case TensorDType.F64:
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]);
                break;
            case TensorDType.I64:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt64LittleEndian(src[(8 * i)..]);
                break;
            case TensorDType.U64:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadUInt64LittleEndian(src[(8 * i)..]);
                break;
            case TensorDType.I32:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt32LittleEndian(src[(4 * i)..]);
                break;
            case TensorDType.U32:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadUInt32LittleEndian(src[(4 * i)..]);
                break;
            case TensorDType.I16:
                for (int i = 0; i < dst.Length; i++) dst[i] = (short)U16(src, i);
                break;
            case TensorDType.U16:
                for (int i = 0; i < dst.Length; i++) dst[i] = U16(src, i);
                break;
            case TensorDType.I8: Lookup(Int8, src, dst); break;
            case TensorDType.U8: Lookup(UInt8, src, dst); break;
            case TensorDType.BOOL: Lookup(Bool, src, dst); break;
            case TensorDType.F8_E4M3: Lookup(E4M3, src, dst); break;
            case TensorDType.F8_E5M2: Lookup(E5M2, src, dst); break;
            case TensorDType.F8_E4M3FNUZ: Lookup(E4M3Fnuz, src, dst); break;
            case TensorDType.F8_E5M2FNUZ: Lookup(E5M2Fnuz, src, dst); break;
            case TensorDType.F8_E8M0: Lookup(E8M0, src, dst); break;
            default: throw new NotSupportedException($"{dtype} cannot be converted to float32");
        }
    }

    /// <summary>Converts floats to F32, F16 or BF16 little-endian bytes (dst holds exactly src.Length elements).</summary>
    public static void FromFloat32(TensorDType dtype, ReadOnlySpan<float> src, Span<byte> dst)
    {
        switch (dtype)
        {
            case TensorDType.F32:
                if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(src).CopyTo(dst);
                else for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(dst[(4 * i)..], src[i]);
                break;
            case TensorDType.F16:
                if (BitConverter.IsLittleEndian) LowPrecision.ToHalf(src, MemoryMarshal.Cast<byte, ushort>(dst));
                else for (int i = 0; i < src.Length; i++)
                    BinaryPrimitives.WriteUInt16LittleEndian(dst[(2 * i)..], BitConverter.HalfToUInt16Bits((Half)src[i]));
                break;
            case TensorDType.BF16:
                if (BitConverter.IsLittleEndian) LowPrecision.ToBFloat16(src, MemoryMarshal.Cast<byte, ushort>(dst));
                else for (int i = 0; i < src.Length; i++)
                    BinaryPrimitives.WriteUInt16LittleEndian(dst[(2 * i)..], LowPrecision.ToBFloat16Bits(BitConverter.SingleToUInt32Bits(src[i])));
                break;
            default: throw new NotSupportedException($"float32 data cannot be written as {dtype}");
        }
    }

    static ushort U16(ReadOnlySpan<byte> src, int i) => BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]);

    static void Lookup(float[] table, ReadOnlySpan<byte> src, Span<float> dst)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = table[src[i]];
    }

    static float[] Table(Func<int, float> decode)
    {
        var t = new float[256];
        for (int b = 0; b < 256; b++) t[b] = decode(b);
        return t;
    }

    // Sign, `exp` exponent bits, `man` mantissa bits. OCP "FN" types spend only the all-ones
    // pattern on NaN; FNUZ types have a single NaN (0x80, the would-be negative zero).
    internal static float SmallFloat(int b, int exp, int man, int bias, bool fnuz, bool hasInf)
    {
        int sign = b >> (exp + man), e = (b >> man) & ((1 << exp) - 1), m = b & ((1 << man) - 1);
        if (fnuz && b == 0x80) return float.NaN;
        int allOnes = (1 << exp) - 1;
        if (!fnuz && e == allOnes)
        {
            if (hasInf) return m == 0 ? (sign == 1 ? float.NegativeInfinity : float.PositiveInfinity) : float.NaN;
            if (m == (1 << man) - 1) return float.NaN;
        }
        float magnitude = e == 0
            ? MathF.ScaleB(m, 1 - bias - man)
            : MathF.ScaleB((1 << man) + m, e - bias - man);
        return sign == 1 ? -magnitude : magnitude;
    }
}
