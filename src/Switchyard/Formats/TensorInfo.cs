using Switchyard.Tensors;

namespace Switchyard.Formats;

/// <summary>Where and how one tensor is stored in a model file; all sizes already validated.</summary>
public sealed class TensorInfo
{
    readonly int[] _shape;

    internal TensorInfo(string name, TensorDType dtype, int[] shape, long elementCount, long dataBegin, long dataEnd, long fileOffset, long headerOffset)
    {
        Name = name;
        DType = dtype;
        _shape = shape;
        ElementCount = elementCount;
        DataBegin = dataBegin;
        DataEnd = dataEnd;
        FileOffset = fileOffset;
        HeaderOffset = headerOffset;
    }

    /// <summary>The tensor's name, e.g. <c>model.layers.0.mlp.gate.weight</c>.</summary>
    public string Name { get; }

    /// <summary>The stored element type.</summary>
    public TensorDType DType { get; }

    /// <summary>Dimensions, outermost first; any rank (a scalar has none).</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>Product of the dimensions (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>Start of the data, relative to the start of the data buffer (as in the header).</summary>
    public long DataBegin { get; }

    /// <summary>End (exclusive) of the data, relative to the start of the data buffer.</summary>
    public long DataEnd { get; }

    /// <summary>Number of stored bytes.</summary>
    public long ByteLength => DataEnd - DataBegin;

    /// <summary>Absolute offset of the data in the file.</summary>
    public long FileOffset { get; }

    // Where the tensor's entry sits in the header, for error messages about it.
    internal long HeaderOffset { get; }

    /// <summary>The dimensions as a <see cref="Tensors.Shape"/>.</summary>
    /// <exception cref="NotSupportedException">Rank above <see cref="Tensors.Shape.MaxRank"/>.</exception>
    public Shape ToShape() =>
        _shape.Length <= Tensors.Shape.MaxRank ? new Shape(_shape)
            : throw new NotSupportedException(
                $"tensor '{Name}' has rank {_shape.Length} {FormatShape()}; tensors hold at most rank {Tensors.Shape.MaxRank}");

    /// <summary>Formats the dimensions as <c>[2, 3]</c>.</summary>
    public string FormatShape() => "[" + string.Join(", ", _shape) + "]";

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {DType} {FormatShape()} @ [{DataBegin}, {DataEnd})";
}
