using System.Text.Json;

namespace Switchyard.Formats;

/// <summary>
/// The parsed and validated JSON header of a safetensors file. Rules follow the reference Rust
/// crate (safetensors/src/tensor.rs, <c>read_metadata</c> and <c>Metadata::validate</c>), plus
/// stricter checks it leaves to serde's leniency: no duplicate names, no unknown fields.
/// </summary>
internal sealed class SafeTensorsHeader
{
    /// <summary>Bytes of the little-endian u64 header length before the JSON.</summary>
    public const int PrefixBytes = 8;

    // A real tensor has rank ≤ 8; a generous cap keeps a corrupt header from growing huge lists.
    const int MaxRank = 64;

    readonly string _path;
    readonly long _dataLength;
    bool _seenMetadata;

    SafeTensorsHeader(string path, long headerLength, long dataLength)
    {
        _path = path;
        HeaderLength = headerLength;
        _dataLength = dataLength;
    }

    /// <summary>N: bytes of JSON (with padding) after the length prefix.</summary>
    public long HeaderLength { get; }

    /// <summary>Absolute offset of the data buffer: 8 + N.</summary>
    public long DataOffset => PrefixBytes + HeaderLength;

    /// <summary>Tensors in data order (increasing offsets).</summary>
    public TensorInfo[] Tensors { get; private set; } = [];

    /// <summary>Tensors by name.</summary>
    public Dictionary<string, TensorInfo> ByName { get; } = new(StringComparer.Ordinal);

    /// <summary>The <c>__metadata__</c> section, in file order; empty when absent.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether the header has a non-null <c>__metadata__</c> section.</summary>
    public bool HasMetadata { get; private set; }

    /// <summary>Checks the 8-byte length prefix against the file size; returns N.</summary>
    public static long ReadLength(string path, ReadOnlySpan<byte> prefix, long fileLength)
    {
        if (fileLength < PrefixBytes)
            throw new InvalidModelFileException(path, 0,
                $"file is {fileLength} bytes; a safetensors file starts with an 8-byte header length");
        ulong n = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > SafeTensors.MaxHeaderBytes)
            throw new InvalidModelFileException(path, 0,
                $"header length {n} exceeds the limit of {SafeTensors.MaxHeaderBytes} bytes");
        if ((long)n > fileLength - PrefixBytes)
            throw new InvalidModelFileException(path, 0,
                $"header length {n} runs past the end of the file ({fileLength - PrefixBytes} bytes after the length)");
        return (long)n;
    }

    /// <summary>Parses and validates the header JSON; <paramref name="fileLength"/> bounds the data buffer.</summary>
    /// <exception cref="InvalidModelFileException">Any rule broken; the offset points into the header or data.</exception>
    public static SafeTensorsHeader Parse(string path, ReadOnlySpan<byte> json, long fileLength)
    {
        var header = new SafeTensorsHeader(path, json.Length, fileLength - PrefixBytes - json.Length);
        int bad = JsonText.FirstInvalidUtf8(json);
        if (bad >= 0) throw header.Bad(bad, $"header is not valid UTF-8 (byte 0x{json[bad]:X2})");
        var entries = new List<Entry>();
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            header.ReadRoot(ref reader, entries);
        }
        catch (JsonException e)
        {
            throw header.Bad(JsonText.Position(json, e), $"header is not valid JSON: {JsonText.Describe(e)}");
        }
        header.CheckLayout(entries);
        return header;
    }

    readonly record struct Entry(TensorInfo Info, long OffsetsAt);

    void ReadRoot(ref Utf8JsonReader r, List<Entry> entries)
    {
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
            throw Bad(r.TokenStartIndex, $"expected the header to be a JSON object, found {JsonText.Describe(r.TokenType)}");
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            long at = r.TokenStartIndex;
            string key = String(ref r, "a tensor name");
            if (key == "__metadata__")
            {
                if (_seenMetadata) throw Bad(at, "duplicate '__metadata__' section");
                _seenMetadata = true;
                ReadMetadata(ref r);
            }
            else
            {
                if (ByName.ContainsKey(key)) throw Bad(at, $"duplicate tensor name {JsonText.Quote(key)}");
                Entry e = ReadTensor(ref r, key, at);
                ByName.Add(key, e.Info);
                entries.Add(e);
            }
        }
        // Anything but whitespace after the closing brace makes the reader throw here.
        if (r.Read()) throw Bad(r.TokenStartIndex, "unexpected content after the header object");
    }

    void ReadMetadata(ref Utf8JsonReader r)
    {
        r.Read();
        if (r.TokenType == JsonTokenType.Null) return; // the Rust crate reads null as "no metadata"
        if (r.TokenType != JsonTokenType.StartObject)
            throw Bad(r.TokenStartIndex, $"'__metadata__' must be an object of strings, found {JsonText.Describe(r.TokenType)}");
        HasMetadata = true;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            long at = r.TokenStartIndex;
            string key = String(ref r, "a metadata key");
            if (Metadata.ContainsKey(key)) throw Bad(at, $"duplicate '__metadata__' key {JsonText.Quote(key)}");
            r.Read();
            if (r.TokenType != JsonTokenType.String)
                throw Bad(r.TokenStartIndex, $"'__metadata__' value for {JsonText.Quote(key)} must be a string, found {JsonText.Describe(r.TokenType)}");
            Metadata.Add(key, String(ref r, "a metadata value"));
        }
    }

    Entry ReadTensor(ref Utf8JsonReader r, string name, long at)
    {
        string who = $"tensor {JsonText.Quote(name)}";
        r.Read();
        if (r.TokenType != JsonTokenType.StartObject)
            throw Bad(r.TokenStartIndex, $"{who}: expected an object with dtype, shape and data_offsets, found {JsonText.Describe(r.TokenType)}");
        TensorDType? dtype = null;
        List<int>? shape = null;
        long shapeAt = 0, offsetsAt = 0, begin = 0, end = 0;
        bool hasOffsets = false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            long fieldAt = r.TokenStartIndex;
            string field = String(ref r, "a field name");
            r.Read();
            long valueAt = r.TokenStartIndex;
            switch (field)
            {
                case "dtype" when dtype is null:
                    if (r.TokenType != JsonTokenType.String)
                        throw Bad(valueAt, $"{who}: dtype must be a string, found {JsonText.Describe(r.TokenType)}");
                    string d = String(ref r, "a dtype");
                    if (!TensorDTypes.TryParse(d, out TensorDType parsed))
                        throw Bad(valueAt, $"{who}: unknown dtype {JsonText.Quote(d)} (known: {string.Join(", ", Enum.GetNames<TensorDType>())})");
                    dtype = parsed;
                    break;
                case "shape" when shape is null:
                    shapeAt = valueAt;
                    shape = ReadShape(ref r, who);
                    break;
                case "data_offsets" when !hasOffsets:
                    offsetsAt = valueAt;
                    (begin, end) = ReadOffsets(ref r, who);
                    hasOffsets = true;
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw Bad(fieldAt, $"{who}: duplicate field '{field}'");
                default:
                    throw Bad(fieldAt, $"{who}: unexpected field {JsonText.Quote(field)} (expected dtype, shape, data_offsets)");
            }
        }
        string? missing = dtype is null ? "dtype" : shape is null ? "shape" : !hasOffsets ? "data_offsets" : null;
        if (missing is not null) throw Bad(at, $"{who}: missing field '{missing}'");

        long elements = 1;
        foreach (int dim in shape!)
        {
            if (dim != 0 && elements > long.MaxValue / dim)
                throw Bad(shapeAt, $"{who}: shape [{string.Join(", ", shape)}] has more than 2^63 elements");
            elements *= dim;
        }
        string shapeText = $"[{string.Join(", ", shape)}]";
        long bytes = dtype!.Value.ByteSize(elements);
        if (bytes < 0)
            throw Bad(shapeAt, $"{who}: {elements} elements of {dtype} {shapeText} are not a whole number of bytes");
        if (end < begin || end - begin != bytes)
            throw Bad(offsetsAt, $"{who}: data_offsets [{begin}, {end}] do not match {dtype} {shapeText} ({bytes} bytes)");
        var info = new TensorInfo(name, dtype.Value, shape.ToArray(), elements, begin, end, DataOffset + begin, PrefixBytes + at);
        return new Entry(info, offsetsAt);
    }

    List<int> ReadShape(ref Utf8JsonReader r, string who)
    {
        if (r.TokenType != JsonTokenType.StartArray)
            throw Bad(r.TokenStartIndex, $"{who}: shape must be an array of integers, found {JsonText.Describe(r.TokenType)}");
        var dims = new List<int>();
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            long at = r.TokenStartIndex;
            long dim = Integer(ref r, who, "shape dimension");
            if (dim > int.MaxValue) throw Bad(at, $"{who}: shape dimension {dim} exceeds the supported 2147483647");
            if (dims.Count == MaxRank) throw Bad(at, $"{who}: shape has more than {MaxRank} dimensions");
            dims.Add((int)dim);
        }
        return dims;
    }

    (long Begin, long End) ReadOffsets(ref Utf8JsonReader r, string who)
    {
        if (r.TokenType != JsonTokenType.StartArray)
            throw Bad(r.TokenStartIndex, $"{who}: data_offsets must be an array [begin, end], found {JsonText.Describe(r.TokenType)}");
        long arrayAt = r.TokenStartIndex;
        Span<long> v = stackalloc long[2];
        int n = 0;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (n == 2) throw Bad(r.TokenStartIndex, $"{who}: data_offsets must have exactly 2 entries, found more");
            v[n++] = Integer(ref r, who, "data offset");
        }
        if (n != 2) throw Bad(arrayAt, $"{who}: data_offsets must have exactly 2 entries, found {n}");
        return (v[0], v[1]);
    }

    long Integer(ref Utf8JsonReader r, string who, string what)
    {
        long at = r.TokenStartIndex;
        if (r.TokenType != JsonTokenType.Number)
            throw Bad(at, $"{who}: {what} must be a non-negative integer, found {JsonText.Describe(r.TokenType)}");
        // TryGetInt64 refuses fractions and exponents ("2.0", "1e3"), as serde does for usize.
        if (!r.TryGetInt64(out long value) || value < 0)
            throw Bad(at, $"{who}: {what} must be a non-negative integer below 2^63, found {System.Text.Encoding.UTF8.GetString(r.ValueSpan)}");
        return value;
    }

    string String(ref Utf8JsonReader r, string what)
    {
        if (!JsonText.TryGetString(ref r, out string s))
            throw Bad(r.TokenStartIndex, $"{what} is not a valid string (lone surrogate escape)");
        return s;
    }

    // The Rust crate sorts entries by offsets, then requires them back to back from 0 to the end
    // of the file: no gaps, no overlaps, no trailing bytes.
    void CheckLayout(List<Entry> entries)
    {
        entries.Sort((a, b) =>
        {
            int c = a.Info.DataBegin.CompareTo(b.Info.DataBegin);
            if (c == 0) c = a.Info.DataEnd.CompareTo(b.Info.DataEnd);
            return c != 0 ? c : string.CompareOrdinal(a.Info.Name, b.Info.Name);
        });
        long expected = 0;
        string? previous = null;
        foreach (Entry e in entries)
        {
            TensorInfo t = e.Info;
            string where = $"tensor {JsonText.Quote(t.Name)}: data_offsets [{t.DataBegin}, {t.DataEnd}]";
            if (t.DataBegin > expected)
                throw Bad(e.OffsetsAt, previous is null
                    ? $"{where} leave a gap: the data buffer starts at 0"
                    : $"{where} leave a gap after tensor {JsonText.Quote(previous)}, which ends at {expected}");
            if (t.DataBegin < expected)
                throw Bad(e.OffsetsAt, $"{where} overlap tensor {JsonText.Quote(previous!)}, which ends at {expected}");
            if (t.DataEnd > _dataLength)
                throw Bad(e.OffsetsAt, $"{where} run past the end of the data buffer ({_dataLength} bytes)");
            expected = t.DataEnd;
            previous = t.Name;
        }
        if (expected != _dataLength)
            throw new InvalidModelFileException(_path, DataOffset + expected,
                $"{_dataLength - expected} bytes after the last tensor are not covered by any tensor (data buffer ends at {expected})");
        Tensors = entries.Select(e => e.Info).ToArray();
    }

    // Header positions are relative to the JSON; the file offset adds the 8-byte length prefix.
    InvalidModelFileException Bad(long jsonOffset, string detail) => new(_path, PrefixBytes + jsonOffset, detail);
}
