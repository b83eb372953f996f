using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Switchyard.Tensors;

namespace Switchyard.Formats.Gguf;

/// <summary>
/// Parses and validates the header of a GGUF file (v2 or v3, little-endian): counts, metadata,
/// tensor infos, alignment, and the layout of the data section. Every length is checked against
/// the bytes that remain before anything is allocated from it, so a corrupt field fails with an
/// <see cref="InvalidModelFileException"/> naming its offset, never as a huge allocation.
/// </summary>
/// <remarks>As ggml's <c>gguf.cpp</c> (<c>gguf_init_from_file_impl</c>) and llama.cpp's <c>HANDCRAFTED_*</c> tests.</remarks>
internal sealed unsafe class GgufHeader
{
    /// <summary>"GGUF" read as a little-endian u32.</summary>
    public const uint Magic = 0x46554747;

    /// <summary>Alignment when the file has no <c>general.alignment</c>.</summary>
    public const uint DefaultAlignment = 32;

    /// <summary>The metadata key that sets the alignment.</summary>
    public const string AlignmentKey = "general.alignment";

    /// <summary>Bytes of the fixed part: magic, version, tensor count, metadata count.</summary>
    public const int FixedBytes = 24;

    // llama.cpp's GGML_MAX_NAME is 64 including the terminator.
    const int MaxNameBytes = 63;
    const int MaxDims = 4;
    // Arrays of arrays: deep nesting has no use and would recurse without bound.
    const int MaxArrayDepth = 16;

    readonly string _path;
    readonly byte* _p;
    readonly long _length;
    long _pos;

    GgufHeader(string path, byte* p, long length)
    {
        _path = path;
        _p = p;
        _length = length;
    }

    public uint Version { get; private set; }
    public uint Alignment { get; private set; } = DefaultAlignment;
    public long DataOffset { get; private set; }
    public GgufMetadata Metadata { get; private set; } = null!;
    public GgufTensorInfo[] Tensors { get; private set; } = [];
    public Dictionary<string, GgufTensorInfo> ByName { get; } = new(StringComparer.Ordinal);

    long Remaining => _length - _pos;

    /// <summary>Parses the file mapped at <paramref name="p"/> of <paramref name="length"/> bytes.</summary>
    /// <exception cref="InvalidModelFileException">Anything about the file breaks the format.</exception>
    public static GgufHeader Parse(string path, byte* p, long length)
    {
        var h = new GgufHeader(path, p, length);
        h.Read();
        return h;
    }

    void Read()
    {
        if (_length < 8)
            throw Bad(0, "header", $"a GGUF file starts with 24 bytes (magic, version, counts); the file has {_length}");
        uint magic = U32("magic");
        if (magic != Magic)
            throw Bad(0, "magic", $"expected 'GGUF' (47 47 55 46), found {Convert.ToHexString(new ReadOnlySpan<byte>(_p, 4))}");
        uint version = U32("version");
        if (version is not (2 or 3))
        {
            uint swapped = BinaryPrimitives.ReverseEndianness(version);
            if (swapped is 1 or 2 or 3)
                throw Bad(4, "version", $"this is a big-endian GGUF file (version {swapped} byte-swapped); only little-endian files are supported");
            throw Bad(4, "version", version == 1
                ? "GGUF version 1 (32-bit counts) is not supported; expected 2 or 3"
                : $"expected 2 or 3, found {version}");
        }
        Version = version;
        long tensorCount = Count("tensor_count", minEntryBytes: 8 + 4 + 4 + 8);
        long kvCount = Count("metadata_kv_count", minEntryBytes: 8 + 4 + 1);
        ReadMetadata((int)kvCount);
        ReadTensorInfos((int)tensorCount);
    }

    void ReadMetadata(int count)
    {
        var entries = new KeyValuePair<string, GgufValue>[count];
        var offsets = new long[count];
        var index = new Dictionary<string, int>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            long at = _pos;
            string key = String("metadata key");
            if (!index.TryAdd(key, i))
                throw Bad(at, $"metadata key '{key}'", $"duplicate key (first at 0x{offsets[index[key]]:X})");
            long typeAt = _pos;
            var type = (GgufValueType)U32($"type of '{key}'");
            if (!GgufValueTypes.IsDefined(type))
                throw Bad(typeAt, $"metadata '{key}'", $"undefined value type {(uint)type}; expected 0..12");
            GgufValue value = Value(type, key, 0);
            if (key == AlignmentKey)
            {
                if (type != GgufValueType.UInt32)
                    throw Bad(typeAt, AlignmentKey, $"expected UINT32, found {type.ToString().ToUpperInvariant()}");
                uint a = value.AsUInt32();
                if (a == 0 || (a & (a - 1)) != 0)
                    throw Bad(typeAt + 4, AlignmentKey, $"expected a power of two, found {a}");
                Alignment = a;
            }
            entries[i] = new(key, value);
            offsets[i] = at;
        }
        Metadata = new GgufMetadata(entries, offsets, index);
    }

    void ReadTensorInfos(int count)
    {
        var infos = new (string Name, long[] Ne, GgmlType Type, long Offset, long Bytes, long Elements, long At)[count];
        for (int i = 0; i < count; i++)
        {
            long at = _pos;
            string name = String("tensor name");
            if (_pos - at - 8 > MaxNameBytes)
                throw Bad(at, $"tensor '{name[..Math.Min(40, name.Length)]}…'", $"name has {_pos - at - 8} bytes; ggml allows at most {MaxNameBytes}");
            long dimsAt = _pos;
            uint nDims = U32($"n_dims of '{name}'");
            if (nDims > MaxDims) throw Bad(dimsAt, $"tensor '{name}'", $"n_dims: expected at most {MaxDims}, found {nDims}");
            var ne = new long[nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++)
            {
                long neAt = _pos;
                ulong v = U64($"ne[{d}] of '{name}'");
                if (v == 0 || v > long.MaxValue)
                    throw Bad(neAt, $"tensor '{name}'", $"ne[{d}]: expected a positive size, found {v}");
                ne[d] = (long)v;
                if (elements > long.MaxValue / ne[d])
                    throw Bad(neAt, $"tensor '{name}'", $"{FormatNe(ne, d + 1)} has more than 2^63 elements");
                elements *= ne[d];
            }
            long typeAt = _pos;
            uint rawType = U32($"type of '{name}'");
            var type = (GgmlType)rawType;
            if (rawType > int.MaxValue || !GgmlTypes.IsDefined(type))
                throw Bad(typeAt, $"tensor '{name}'", $"undefined ggml type {rawType}");
            long columns = nDims == 0 ? 1 : ne[0];
            long rowBytes = GgmlTypes.RowBytes(type, columns);
            if (rowBytes < 0)
                throw Bad(dimsAt, $"tensor '{name}'", $"ne[0] = {columns} is not a whole number of {type} blocks of {GgmlTypes.BlockSize(type)}");
            long rows = elements / columns;
            if (rows > 0 && rowBytes > long.MaxValue / rows)
                throw Bad(dimsAt, $"tensor '{name}'", $"{FormatNe(ne, ne.Length)} of {type} needs more than 2^63 bytes");
            long offsetAt = _pos;
            ulong offset = U64($"offset of '{name}'");
            if (offset > long.MaxValue) throw Bad(offsetAt, $"tensor '{name}'", $"offset {offset} is beyond any file");
            infos[i] = (name, ne, type, (long)offset, rowBytes * rows, elements, at);
            if (offset % Alignment != 0)
                throw Bad(offsetAt, $"tensor '{name}'", $"offset {offset} is not a multiple of the alignment {Alignment}");
        }
        long infosEnd = _pos;
        DataOffset = AlignUp(infosEnd, Alignment);
        var tensors = new GgufTensorInfo[count];
        for (int i = 0; i < count; i++)
        {
            var t = infos[i];
            if (DataOffset > _length || t.Offset > _length - DataOffset || t.Bytes > _length - DataOffset - t.Offset)
                throw Bad(t.At, $"tensor '{t.Name}'",
                    $"data [0x{DataOffset + t.Offset:X}, +{t.Bytes}) for {t.Type} {FormatNe(t.Ne, t.Ne.Length)} ends past the end of the file ({_length} bytes)");
            tensors[i] = new GgufTensorInfo(t.Name, t.Ne, t.Type, t.Offset, DataOffset + t.Offset, t.Bytes, t.Elements, t.At);
            if (!ByName.TryAdd(t.Name, tensors[i]))
                throw Bad(t.At, $"tensor '{t.Name}'", $"duplicate name (first at 0x{ByName[t.Name].InfoOffset:X})");
        }
        // Overlap: sort by offset, each must start at or after the previous one's end.
        var order = (GgufTensorInfo[])tensors.Clone();
        Array.Sort(order, (a, b) => a.RelativeOffset.CompareTo(b.RelativeOffset));
        for (int i = 1; i < order.Length; i++)
        {
            GgufTensorInfo prev = order[i - 1], cur = order[i];
            if (cur.RelativeOffset < prev.RelativeOffset + prev.ByteLength)
                throw Bad(cur.InfoOffset, $"tensor '{cur.Name}'",
                    $"data at offset {cur.RelativeOffset} overlaps '{prev.Name}' [{prev.RelativeOffset}, {prev.RelativeOffset + prev.ByteLength})");
        }
        Tensors = tensors;
    }

    GgufValue Value(GgufValueType type, string key, int depth)
    {
        string what = $"metadata '{key}'";
        switch (type)
        {
            case GgufValueType.UInt8: return GgufValue.UInt8(Take(1, what)[0]);
            case GgufValueType.Int8: return GgufValue.Int8((sbyte)Take(1, what)[0]);
            case GgufValueType.UInt16: return GgufValue.UInt16(BinaryPrimitives.ReadUInt16LittleEndian(Take(2, what)));
            case GgufValueType.Int16: return GgufValue.Int16(BinaryPrimitives.ReadInt16LittleEndian(Take(2, what)));
            case GgufValueType.UInt32: return GgufValue.UInt32(BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what)));
            case GgufValueType.Int32: return GgufValue.Int32(BinaryPrimitives.ReadInt32LittleEndian(Take(4, what)));
            case GgufValueType.Float32: return GgufValue.Float32(BinaryPrimitives.ReadSingleLittleEndian(Take(4, what)));
            case GgufValueType.UInt64: return GgufValue.UInt64(BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what)));
            case GgufValueType.Int64: return GgufValue.Int64(BinaryPrimitives.ReadInt64LittleEndian(Take(8, what)));
            case GgufValueType.Float64: return GgufValue.Float64(BinaryPrimitives.ReadDoubleLittleEndian(Take(8, what)));
            case GgufValueType.Bool: return GgufValue.Bool(Bool(what));
            case GgufValueType.String: return GgufValue.String(String(what));
            default: return ReadArray(key, depth);
        }
    }

    GgufValue ReadArray(string key, int depth)
    {
        string what = $"metadata '{key}'";
        long at = _pos;
        if (depth >= MaxArrayDepth) throw Bad(at, what, $"arrays nested more than {MaxArrayDepth} deep");
        var element = (GgufValueType)U32($"{what} array type");
        if (!GgufValueTypes.IsDefined(element))
            throw Bad(at, what, $"undefined array element type {(uint)element}; expected 0..12");
        long countAt = _pos;
        ulong n = U64($"{what} array length");
        int min = GgufValueTypes.MinimumSize(element);
        if (n > (ulong)(Remaining / min) || n > int.MaxValue)
            throw Bad(countAt, what, $"array of {n} {element.ToString().ToUpperInvariant()} cannot fit in the {Remaining} bytes left");
        int count = (int)n;
        switch (element)
        {
            case GgufValueType.String:
            {
                var items = new string[count];
                for (int i = 0; i < count; i++) items[i] = String(what);
                return GgufValue.WrapArray(element, items);
            }
            case GgufValueType.Array:
            {
                var items = new GgufValue[count];
                for (int i = 0; i < count; i++) items[i] = ReadArray(key, depth + 1);
                return GgufValue.WrapArray(element, items);
            }
            case GgufValueType.Bool:
            {
                var items = new bool[count];
                for (int i = 0; i < count; i++) items[i] = Bool(what);
                return GgufValue.WrapArray(element, items);
            }
            default:
            {
                System.Array items = element switch
                {
                    GgufValueType.UInt8 => new byte[count],
                    GgufValueType.Int8 => new sbyte[count],
                    GgufValueType.UInt16 => new ushort[count],
                    GgufValueType.Int16 => new short[count],
                    GgufValueType.UInt32 => new uint[count],
                    GgufValueType.Int32 => new int[count],
                    GgufValueType.Float32 => new float[count],
                    GgufValueType.UInt64 => new ulong[count],
                    GgufValueType.Int64 => new long[count],
                    _ => new double[count],
                };
                int size = GgufValueTypes.FixedSize(element);
                ReadOnlySpan<byte> bytes = Take((long)count * size, what);
                // The file is little-endian and so is every platform .NET runs this library on.
                if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("GGUF reading needs a little-endian machine");
                bytes.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(ArraySpan(items)));
                return GgufValue.WrapArray(element, items);
            }
        }
    }

    static Span<byte> ArraySpan(System.Array a) => a switch
    {
        byte[] x => x, sbyte[] x => System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()),
        ushort[] x => System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()),
        short[] x => System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()),
        uint[] x => System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()),
        int[] x => System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()),
        float[] x => System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()),
        ulong[] x => System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()),
        long[] x => System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()),
        double[] x => System.Runtime.InteropServices.MemoryMarshal.AsBytes(x.AsSpan()),
        _ => throw new InvalidOperationException(a.GetType().Name),
    };

    bool Bool(string what)
    {
        long at = _pos;
        byte b = Take(1, what)[0];
        return b switch
        {
            0 => false,
            1 => true,
            _ => throw Bad(at, what, $"BOOL must be 0 or 1, found {b}"),
        };
    }

    string String(string what)
    {
        long at = _pos;
        ulong n = U64($"{what} length");
        if (n > (ulong)Remaining)
            throw Bad(at, what, $"string of {n} bytes cannot fit in the {Remaining} bytes left");
        if (n > int.MaxValue) throw Bad(at, what, $"string of {n} bytes is longer than 2 GiB");
        // Lenient as ggml (bytes kept as they are) and gguf-py: invalid UTF-8 becomes U+FFFD.
        return Encoding.UTF8.GetString(Take((long)n, what));
    }

    long Count(string field, int minEntryBytes)
    {
        long at = _pos;
        ulong n = U64(field);
        if (n > (ulong)(Remaining / minEntryBytes) || n > int.MaxValue)
            throw Bad(at, field, $"{n} entries cannot fit in the {Remaining} bytes left");
        return (long)n;
    }

    uint U32(string field) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, field));

    ulong U64(string field) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, field));

    ReadOnlySpan<byte> Take(long n, string field)
    {
        if (n > Remaining)
            throw Bad(_pos, field, $"needs {n} bytes, only {Remaining} left before the end of the file");
        if (n > int.MaxValue) throw Bad(_pos, field, $"{n} bytes is more than one field may hold (2 GiB)");
        var span = new ReadOnlySpan<byte>(_p + _pos, (int)n);
        _pos += n;
        return span;
    }

    static long AlignUp(long x, uint alignment) => (x + alignment - 1) / alignment * alignment;

    static string FormatNe(long[] ne, int count) =>
        "ne=[" + string.Join(", ", ne.Take(count).Select(v => v.ToString(CultureInfo.InvariantCulture))) + "]";

    InvalidModelFileException Bad(long offset, string field, string why) => new(_path, offset, $"{field}: {why}");
}
