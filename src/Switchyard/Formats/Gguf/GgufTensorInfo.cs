using System.Globalization;
using Switchyard.Tensors;

namespace Switchyard.Formats.Gguf;

/// <summary>Where and how one tensor of a GGUF file is stored; every field validated against the file.</summary>
public sealed class GgufTensorInfo
{
    internal GgufTensorInfo(string name, long[] dimensions, GgmlType type, long relativeOffset, long fileOffset, long byteLength, long elementCount, long infoOffset)
    {
        Name = name;
        Dimensions = dimensions;
        Type = type;
        RelativeOffset = relativeOffset;
        FileOffset = fileOffset;
        ByteLength = byteLength;
        ElementCount = elementCount;
        InfoOffset = infoOffset;
    }

    /// <summary>The tensor's name, e.g. <c>blk.0.attn_q.weight</c>.</summary>
    public string Name { get; }

    /// <summary>
    /// Dimensions in ggml order: <c>Dimensions[0]</c> (ne[0]) is the contiguous one, the values per row;
    /// the reverse of the PyTorch shape. Do not modify.
    /// </summary>
    public long[] Dimensions { get; }

    /// <summary>Element or block type.</summary>
    public GgmlType Type { get; }

    /// <summary>Offset of the data from the start of the data section, as stored.</summary>
    public long RelativeOffset { get; }

    /// <summary>Absolute offset of the data in the file.</summary>
    public long FileOffset { get; }

    /// <summary>Bytes of stored data.</summary>
    public long ByteLength { get; }

    /// <summary>Number of values (product of the dimensions).</summary>
    public long ElementCount { get; }

    /// <summary>Values per row (ne[0]).</summary>
    public long Columns => Dimensions.Length == 0 ? 1 : Dimensions[0];

    /// <summary>Number of rows (product of ne[1..]).</summary>
    public long Rows => Columns == 0 ? 0 : ElementCount / Columns;

    /// <summary>Absolute offset of this tensor's entry in the header (for error messages).</summary>
    public long InfoOffset { get; }

    /// <summary>The dimensions in PyTorch order (outermost first), e.g. <c>[11, 8]</c> for ne = [8, 11].</summary>
    public string FormatShape() =>
        "[" + string.Join(", ", Dimensions.Reverse().Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {Type} ne=[{string.Join(", ", Dimensions)}] @ 0x{FileOffset:X} ({ByteLength} bytes)";
}
