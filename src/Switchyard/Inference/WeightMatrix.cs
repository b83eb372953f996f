using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Inference;

/// <summary>
/// A weight matrix as inference stores it: <see cref="Rows"/> output features × <see cref="Cols"/>
/// input features, row-major (PyTorch's <c>[out, in]</c>, GGUF's <c>ne = [in, out]</c>), each row
/// encoded as whole blocks of <see cref="Type"/>. The bytes are used where they lie (a memory-mapped
/// file, a pooled buffer, a float array) and are never expanded wholesale.
/// </summary>
public sealed class WeightMatrix
{
    /// <summary>Wraps <paramref name="bytes"/> holding <paramref name="rows"/> rows of <paramref name="cols"/> values of <paramref name="type"/>.</summary>
    /// <exception cref="ArgumentException">cols is not a whole number of blocks, or the byte count is not rows × row bytes.</exception>
    public WeightMatrix(GgmlType type, int rows, int cols, ReadOnlyMemory<byte> bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        long rowBytes = GgmlTypes.RowBytes(type, cols);
        if (rowBytes < 0)
            throw new ArgumentException($"{cols} columns are not a whole number of {type} blocks of {GgmlTypes.BlockSize(type)}", nameof(cols));
        if (bytes.Length != rows * rowBytes)
            throw new ArgumentException($"{type} [{rows}, {cols}] needs {rows * rowBytes} bytes, got {bytes.Length}", nameof(bytes));
        Type = type;
        Rows = rows;
        Cols = cols;
        RowBytes = (int)rowBytes;
        Bytes = bytes;
    }

    /// <summary>A float32 matrix over <paramref name="values"/> (no copy) of <paramref name="rows"/> × <paramref name="cols"/>.</summary>
    public static WeightMatrix FromFloats(ReadOnlyMemory<float> values, int rows, int cols)
    {
        if (values.Length != rows * cols)
            throw new ArgumentException($"[{rows}, {cols}] needs {rows * cols} floats, got {values.Length}", nameof(values));
        return new WeightMatrix(GgmlType.F32, rows, cols, FloatBytes.AsBytes(values));
    }

    /// <summary>Encoding of each row.</summary>
    public GgmlType Type { get; }

    /// <summary>Output features.</summary>
    public int Rows { get; }

    /// <summary>Input features.</summary>
    public int Cols { get; }

    /// <summary>Bytes per row.</summary>
    public int RowBytes { get; }

    /// <summary>The encoded rows, back to back.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>Bytes the matrix occupies.</summary>
    public long ByteLength => Bytes.Length;

    /// <summary>
    /// y[t, :] = x[t, :]·Wᵀ + beta·y[t, :] for <paramref name="tokens"/> rows of x [tokens, Cols] into y [tokens, Rows].
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the sizes need.</exception>
    public void Multiply(ReadOnlySpan<float> x, Span<float> y, int tokens, float beta = 0f) =>
        QuantMatMul.Multiply(Type, Bytes.Span, x, y, tokens, Rows, Cols, beta);
}
