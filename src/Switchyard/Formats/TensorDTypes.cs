namespace Switchyard.Formats;

/// <summary>Sizes and file names of <see cref="TensorDType"/> values.</summary>
public static class TensorDTypes
{
    // Indexed by (int)TensorDType. Bits, not bytes: F4 and F6 pack several elements per byte.
    static readonly int[] Bits = [32, 16, 16, 64, 64, 32, 16, 8, 64, 32, 16, 8, 8, 8, 8, 8, 8, 8, 6, 6, 4, 64];

    // Position in the Rust crate's `Dtype` enum (increasing alignment). Its writer sorts tensors by this
    // rank, descending, then by name, so byte-identical output needs the same order.
    static readonly int[] RustOrder =
    [
        /*F32*/ 17, /*F16*/ 13, /*BF16*/ 14, /*F64*/ 19, /*I64*/ 20, /*I32*/ 15, /*I16*/ 11, /*I8*/ 5,
        /*U64*/ 21, /*U32*/ 16, /*U16*/ 12, /*U8*/ 4, /*BOOL*/ 0, /*F8_E4M3*/ 7, /*F8_E5M2*/ 6,
        /*F8_E4M3FNUZ*/ 9, /*F8_E5M2FNUZ*/ 10, /*F8_E8M0*/ 8, /*F6_E3M2*/ 3, /*F6_E2M3*/ 2, /*F4*/ 1, /*C64*/ 18,
    ];

    static readonly string[] Names = Enum.GetValues<TensorDType>().Select(d => d.ToString()).ToArray();

    static readonly Dictionary<string, TensorDType> ByName =
        Enum.GetValues<TensorDType>().ToDictionary(d => d.ToString(), d => d, StringComparer.Ordinal);

    /// <summary>Bits per element (4, 6, 8, 16, 32 or 64).</summary>
    public static int BitSize(this TensorDType dtype) => Bits[Check(dtype)];

    /// <summary>The name a safetensors header uses for the type, e.g. <c>"BF16"</c>.</summary>
    public static string Name(this TensorDType dtype) => Names[Check(dtype)];

    /// <summary>True for the types <see cref="SafeTensorsFile.ReadFloat32"/> can convert.</summary>
    public static bool IsReadableAsFloat32(this TensorDType dtype) =>
        Check(dtype) >= 0 && dtype is not (TensorDType.F4 or TensorDType.F6_E2M3 or TensorDType.F6_E3M2 or TensorDType.C64);

    /// <summary>True for the types a float32 source can be written as (F32, F16, BF16).</summary>
    public static bool IsWritableFromFloat32(this TensorDType dtype) =>
        dtype is TensorDType.F32 or TensorDType.F16 or TensorDType.BF16;

    /// <summary>Parses a header name (case-sensitive, as the Rust crate is).</summary>
    public static bool TryParse(string name, out TensorDType dtype) => ByName.TryGetValue(name, out dtype);

    /// <summary>
    /// Bytes occupied by <paramref name="elements"/> elements, or -1 when the size is not a whole
    /// number of bytes or overflows.
    /// </summary>
    public static long ByteSize(this TensorDType dtype, long elements)
    {
        int bits = BitSize(dtype);
        if (elements < 0 || elements > long.MaxValue / 64) return -1;
        long total = elements * bits;
        return total % 8 == 0 ? total / 8 : -1;
    }

    internal static int WriterRank(TensorDType dtype) => RustOrder[Check(dtype)];

    static int Check(TensorDType dtype) =>
        (uint)dtype < (uint)Bits.Length ? (int)dtype
            : throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a TensorDType");
}
