namespace Switchyard.Tensors;

/// <summary>Block geometry of each <see cref="GgmlType"/>, as ggml's type traits give it.</summary>
public static class GgmlTypes
{
    /// <summary>Whether <paramref name="type"/> is a type ggml defines today (files holding any other number are invalid).</summary>
    public static bool IsDefined(GgmlType type) => Geometry(type).BlockSize != 0;

    /// <summary>Values per block (1 for plain element types).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined type.</exception>
    public static int BlockSize(GgmlType type) => Checked(type).BlockSize;

    /// <summary>Bytes per block.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined type.</exception>
    public static int TypeSize(GgmlType type) => Checked(type).TypeSize;

    /// <summary>
    /// Bytes of a row of <paramref name="values"/> values, or -1 when <paramref name="values"/> is not a
    /// multiple of the block size (ggml requires whole blocks along the first dimension).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined type, or values is negative.</exception>
    public static long RowBytes(GgmlType type, long values)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(values);
        var (block, size) = Checked(type);
        return values % block != 0 ? -1 : values / block * size;
    }

    static (int BlockSize, int TypeSize) Checked(GgmlType type)
    {
        var g = Geometry(type);
        if (g.BlockSize == 0) throw new ArgumentOutOfRangeException(nameof(type), (int)type, "not a ggml type");
        return g;
    }

    // ggml.c type_traits: blck_size and type_size. K types use QK_K = 256.
    static (int BlockSize, int TypeSize) Geometry(GgmlType type) => type switch
    {
        GgmlType.F32 => (1, 4),
        GgmlType.F16 => (1, 2),
        GgmlType.Q4_0 => (32, 18),
        GgmlType.Q4_1 => (32, 20),
        GgmlType.Q5_0 => (32, 22),
        GgmlType.Q5_1 => (32, 24),
        GgmlType.Q8_0 => (32, 34),
        GgmlType.Q8_1 => (32, 36),
        GgmlType.Q2_K => (256, 84),
        GgmlType.Q3_K => (256, 110),
        GgmlType.Q4_K => (256, 144),
        GgmlType.Q5_K => (256, 176),
        GgmlType.Q6_K => (256, 210),
        GgmlType.Q8_K => (256, 292),
        GgmlType.IQ2_XXS => (256, 66),
        GgmlType.IQ2_XS => (256, 74),
        GgmlType.IQ3_XXS => (256, 98),
        GgmlType.IQ1_S => (256, 50),
        GgmlType.IQ4_NL => (32, 18),
        GgmlType.IQ3_S => (256, 110),
        GgmlType.IQ2_S => (256, 82),
        GgmlType.IQ4_XS => (256, 136),
        GgmlType.I8 => (1, 1),
        GgmlType.I16 => (1, 2),
        GgmlType.I32 => (1, 4),
        GgmlType.I64 => (1, 8),
        GgmlType.F64 => (1, 8),
        GgmlType.IQ1_M => (256, 56),
        GgmlType.BF16 => (1, 2),
        GgmlType.TQ1_0 => (256, 54),
        GgmlType.TQ2_0 => (256, 66),
        GgmlType.MXFP4 => (32, 17),
        _ => (0, 0),
    };
}
