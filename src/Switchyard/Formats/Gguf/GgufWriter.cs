using System.Buffers.Binary;
using System.Text;
using Switchyard.Tensors;

namespace Switchyard.Formats.Gguf;

/// <summary>
/// Builds a GGUF v3 file: metadata in the order added, then tensors in the order added, each
/// tensor's data at the next multiple of the alignment and zero-padded to it (as ggml's and
/// gguf-py's writers do, so a file read with <see cref="GgufFile"/> and written back with the same
/// metadata and tensors is reproduced byte for byte). <see cref="Write"/> is atomic.
/// </summary>
/// <remarks>
/// Tensor data is held by reference (float memory or raw bytes) and encoded while writing, so an
/// export does not need a second copy of the model in memory. The alignment is
/// <c>general.alignment</c> when added (a UINT32 power of two), else 32.
/// </remarks>
public sealed class GgufWriter
{
    const int EncodeChunkValues = 1 << 16;

    readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    readonly List<Entry> _tensors = [];
    readonly HashSet<string> _names = new(StringComparer.Ordinal);

    sealed record Entry(string Name, long[] Dimensions, GgmlType Type, long ByteLength, ReadOnlyMemory<byte> Bytes, ReadOnlyMemory<float> Values);

    /// <summary>Format version written: 3 (default) or 2 (same layout).</summary>
    public uint Version
    {
        get;
        init => field = value is 2 or 3 ? value : throw new ArgumentOutOfRangeException(nameof(Version), value, "GGUF versions 2 and 3 can be written");
    } = 3;

    /// <summary>Alignment of tensor data in the file being built.</summary>
    public uint Alignment { get; private set; } = GgufHeader.DefaultAlignment;

    /// <summary>Metadata added so far, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata => _metadata;

    /// <summary>Adds a metadata entry after those added before.</summary>
    /// <exception cref="ArgumentException">The key was already added, or <c>general.alignment</c> is not a UINT32 power of two.</exception>
    public GgufWriter AddMetadata(string key, GgufValue value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (key == GgufHeader.AlignmentKey)
        {
            if (value.Type != GgufValueType.UInt32 || value.AsUInt32() is var a && (a == 0 || (a & (a - 1)) != 0))
                throw new ArgumentException($"{GgufHeader.AlignmentKey} must be a UINT32 power of two, got {value}", nameof(value));
            if (_tensors.Count > 0) throw new InvalidOperationException($"add {GgufHeader.AlignmentKey} before any tensor");
            Alignment = value.AsUInt32();
        }
        if (!_keys.Add(key)) throw new ArgumentException($"metadata key '{key}' was already added", nameof(key));
        _metadata.Add(new(key, value));
        return this;
    }

    /// <summary>Adds every entry of <paramref name="metadata"/>, in order.</summary>
    public GgufWriter AddMetadata(IEnumerable<KeyValuePair<string, GgufValue>> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        foreach (var (k, v) in metadata) AddMetadata(k, v);
        return this;
    }

    /// <summary>
    /// Adds a tensor from already-encoded bytes of any ggml type (copied from another GGUF file, or
    /// quantized by the caller). <paramref name="dimensions"/> are in ggml order (ne[0] = values per row).
    /// </summary>
    /// <exception cref="ArgumentException">Bad name or dimensions, ne[0] not whole blocks, or the byte count differs from what the shape needs.</exception>
    public GgufWriter AddTensor(string name, ReadOnlySpan<long> dimensions, GgmlType type, ReadOnlyMemory<byte> bytes)
    {
        long needed = CheckTensor(name, dimensions, type);
        if (bytes.Length != needed)
            throw new ArgumentException($"tensor '{name}' {type} ne=[{string.Join(", ", dimensions.ToArray())}] needs {needed} bytes, got {bytes.Length}", nameof(bytes));
        _tensors.Add(new Entry(name, dimensions.ToArray(), type, needed, bytes, default));
        _names.Add(name);
        return this;
    }

    /// <summary>
    /// Adds a tensor from float32 values, encoded as <paramref name="type"/> while writing (F32, F16, BF16;
    /// the block types the quantizer supports). <paramref name="dimensions"/> are in ggml order.
    /// </summary>
    /// <exception cref="ArgumentException">Bad name or dimensions, value count differs from the shape, or ne[0] not whole blocks.</exception>
    /// <exception cref="NotSupportedException">No encoder for <paramref name="type"/>.</exception>
    public GgufWriter AddTensor(string name, ReadOnlySpan<long> dimensions, ReadOnlyMemory<float> values, GgmlType type = GgmlType.F32)
    {
        long needed = CheckTensor(name, dimensions, type);
        long elements = 1;
        foreach (long d in dimensions) elements *= d;
        if (values.Length != elements)
            throw new ArgumentException($"tensor '{name}' ne=[{string.Join(", ", dimensions.ToArray())}] has {elements} values, got {values.Length}", nameof(values));
        if (!GgufConversion.CanQuantize(type)) throw new NotSupportedException($"tensor '{name}': cannot encode float32 as {type}");
        _tensors.Add(new Entry(name, dimensions.ToArray(), type, needed, default, values));
        _names.Add(name);
        return this;
    }

    /// <summary>Writes the file to <paramref name="path"/> atomically (temporary file, flush, rename).</summary>
    public void Write(string path) => AtomicFile.Write(path, WriteTo);

    /// <summary>Writes the file to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = new MemoryStream();
        byte[] b8 = new byte[8];
        void U32(uint v) { BinaryPrimitives.WriteUInt32LittleEndian(b8, v); header.Write(b8, 0, 4); }
        void U64(ulong v) { BinaryPrimitives.WriteUInt64LittleEndian(b8, v); header.Write(b8, 0, 8); }
        U32(GgufHeader.Magic);
        U32(Version);
        U64((ulong)_tensors.Count);
        U64((ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            WriteString(header, key);
            U32((uint)value.Type);
            WriteValue(header, value);
        }
        long offset = 0;
        foreach (var t in _tensors)
        {
            WriteString(header, t.Name);
            U32((uint)t.Dimensions.Length);
            foreach (long d in t.Dimensions) U64((ulong)d);
            U32((uint)t.Type);
            U64((ulong)offset);
            offset = AlignUp(offset + t.ByteLength);
        }
        header.Write(new byte[AlignUp(header.Length) - header.Length]);
        header.Position = 0;
        header.CopyTo(stream);
        var padding = new byte[Alignment];
        byte[]? scratch = null;
        foreach (var t in _tensors)
        {
            if (t.Values.IsEmpty) stream.Write(t.Bytes.Span);
            else EncodeValues(stream, t, ref scratch);
            stream.Write(padding, 0, (int)(AlignUp(t.ByteLength) - t.ByteLength));
        }
    }

    static void EncodeValues(Stream stream, Entry t, ref byte[]? scratch)
    {
        int block = GgmlTypes.BlockSize(t.Type), size = GgmlTypes.TypeSize(t.Type);
        int chunkBlocks = Math.Max(1, EncodeChunkValues / block);
        scratch ??= new byte[chunkBlocks * size];
        if (scratch.Length < chunkBlocks * size) scratch = new byte[chunkBlocks * size];
        ReadOnlySpan<float> values = t.Values.Span;
        long blocks = values.Length / block;
        for (long b = 0; b < blocks; b += chunkBlocks)
        {
            int n = (int)Math.Min(chunkBlocks, blocks - b);
            Span<byte> dst = scratch.AsSpan(0, n * size);
            GgufConversion.Quantize(t.Type, values.Slice((int)(b * block), n * block), dst);
            stream.Write(dst);
        }
    }

    long CheckTensor(string name, ReadOnlySpan<long> dimensions, GgmlType type)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Encoding.UTF8.GetByteCount(name) > 63) throw new ArgumentException($"tensor name '{name}' is longer than ggml's 63 bytes", nameof(name));
        if (_names.Contains(name)) throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        if (dimensions.Length > 4) throw new ArgumentException($"tensor '{name}' has {dimensions.Length} dimensions; GGUF allows 4", nameof(dimensions));
        if (!GgmlTypes.IsDefined(type)) throw new ArgumentException($"tensor '{name}': {(int)type} is not a ggml type", nameof(type));
        long elements = 1;
        foreach (long d in dimensions)
        {
            if (d <= 0) throw new ArgumentException($"tensor '{name}' has a dimension {d}; all must be positive", nameof(dimensions));
            elements = checked(elements * d);
        }
        long columns = dimensions.Length == 0 ? 1 : dimensions[0];
        long rowBytes = GgmlTypes.RowBytes(type, columns);
        if (rowBytes < 0)
            throw new ArgumentException($"tensor '{name}': ne[0] = {columns} is not a whole number of {type} blocks of {GgmlTypes.BlockSize(type)}", nameof(dimensions));
        return checked(rowBytes * (elements / columns));
    }

    void WriteValue(MemoryStream s, GgufValue value)
    {
        Span<byte> b = stackalloc byte[8];
        switch (value.RawValue)
        {
            case byte v: s.WriteByte(v); break;
            case sbyte v: s.WriteByte((byte)v); break;
            case ushort v: BinaryPrimitives.WriteUInt16LittleEndian(b, v); s.Write(b[..2]); break;
            case short v: BinaryPrimitives.WriteInt16LittleEndian(b, v); s.Write(b[..2]); break;
            case uint v: BinaryPrimitives.WriteUInt32LittleEndian(b, v); s.Write(b[..4]); break;
            case int v: BinaryPrimitives.WriteInt32LittleEndian(b, v); s.Write(b[..4]); break;
            case float v: BinaryPrimitives.WriteSingleLittleEndian(b, v); s.Write(b[..4]); break;
            case bool v: s.WriteByte(v ? (byte)1 : (byte)0); break;
            case string v: WriteString(s, v); break;
            case ulong v: BinaryPrimitives.WriteUInt64LittleEndian(b, v); s.Write(b); break;
            case long v: BinaryPrimitives.WriteInt64LittleEndian(b, v); s.Write(b); break;
            case double v: BinaryPrimitives.WriteDoubleLittleEndian(b, v); s.Write(b); break;
            case System.Array items:
                BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)value.ElementType);
                s.Write(b[..4]);
                BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)items.Length);
                s.Write(b);
                switch (items)
                {
                    case string[] strings: foreach (string x in strings) WriteString(s, x); break;
                    case GgufValue[] nested: foreach (var x in nested) WriteValue(s, x); break;
                    case bool[] bools: foreach (bool x in bools) s.WriteByte(x ? (byte)1 : (byte)0); break;
                    default: WriteNumbers(s, items); break;
                }
                break;
            default: throw new InvalidOperationException($"unexpected metadata value {value}");
        }
    }

    static void WriteNumbers(MemoryStream s, System.Array items)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("GGUF writing needs a little-endian machine");
        ReadOnlySpan<byte> bytes = items switch
        {
            byte[] x => x,
            sbyte[] x => System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()),
            ushort[] x => System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()),
            short[] x => System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()),
            uint[] x => System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()),
            int[] x => System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()),
            float[] x => System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()),
            ulong[] x => System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()),
            long[] x => System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()),
            double[] x => System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()),
            _ => throw new InvalidOperationException(items.GetType().Name),
        };
        s.Write(bytes);
    }

    static void WriteString(MemoryStream s, string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)bytes.Length);
        s.Write(b);
        s.Write(bytes);
    }

    long AlignUp(long x) => (x + Alignment - 1) / Alignment * Alignment;
}
