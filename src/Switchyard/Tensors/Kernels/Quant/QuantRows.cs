namespace Switchyard.Tensors.Kernels;

/// <summary>Row geometry checks shared by the quantizer, the dequantizer and the quantized matmul.</summary>
internal static class QuantRows
{
    /// <summary>
    /// Bytes of a row of <paramref name="values"/> values of <paramref name="type"/>; throws an
    /// <see cref="ArgumentException"/> naming <paramref name="param"/> unless they are whole blocks.
    /// </summary>
    public static int CheckRow(GgmlType type, int values, string param)
    {
        int block = GgmlTypes.BlockSize(type);
        if (values % block != 0)
            ThrowHelper.LengthMismatch(param, values, (values / block + 1) * (long)block,
                $"a whole number of {type} blocks of {block} values");
        return values / block * GgmlTypes.TypeSize(type);
    }
}
