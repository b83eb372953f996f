using System.Text.Json;
using Switchyard.Tensors;

namespace Switchyard.Formats;

/// <summary>
/// A checkpoint split over several safetensors files, as listed by a Hugging Face
/// <c>model.safetensors.index.json</c> (<c>{"metadata": {"total_size": N}, "weight_map": {name: shard}}</c>).
/// Shards are opened (memory-mapped and validated) on first use and stay open until <see cref="Dispose"/>.
/// </summary>
public sealed class SafeTensorsIndex : IDisposable
{
    readonly string _indexPath;
    readonly Dictionary<string, (string Shard, long At)> _map;
    readonly Dictionary<string, SafeTensorsFile> _open = new(StringComparer.Ordinal);
    readonly Lock _lock = new();
    readonly string[] _names;
    bool _disposed;

    SafeTensorsIndex(string indexPath, string directory, Dictionary<string, (string, long)> map, long? totalSize)
    {
        _indexPath = indexPath;
        Directory = directory;
        _map = map;
        TotalSize = totalSize;
        _names = map.Keys.Order(StringComparer.Ordinal).ToArray();
        ShardFiles = map.Values.Select(v => v.Item1).Distinct().Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Opens an index JSON; shard files are looked up in its folder.</summary>
    /// <exception cref="InvalidModelFileException">The index is malformed or names a shard outside its folder.</exception>
    public static SafeTensorsIndex Open(string indexPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(indexPath);
        using var stream = new FileStream(indexPath, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (stream.Length > SafeTensors.MaxHeaderBytes)
            throw new InvalidModelFileException(indexPath, 0, $"index is {stream.Length} bytes, over the {SafeTensors.MaxHeaderBytes}-byte limit");
        byte[] json = new byte[stream.Length];
        stream.ReadExactly(json);
        var map = new Dictionary<string, (string, long)>(StringComparer.Ordinal);
        long? total = Parse(indexPath, json, map);
        string directory = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        return new SafeTensorsIndex(indexPath, directory, map, total);
    }

    /// <summary>
    /// Opens a checkpoint folder the way Hugging Face loaders do: <c>model.safetensors.index.json</c>
    /// when present, otherwise the single <c>model.safetensors</c> (as a one-shard index).
    /// </summary>
    /// <param name="directory">The checkpoint folder.</param>
    /// <param name="weightsName">The unsharded file name; the index is this name plus <c>.index.json</c>.</param>
    /// <exception cref="FileNotFoundException">Neither file exists.</exception>
    public static SafeTensorsIndex OpenCheckpoint(string directory, string weightsName = "model.safetensors")
    {
        string index = Path.Combine(directory, weightsName + SafeTensors.IndexSuffix);
        if (File.Exists(index)) return Open(index);
        string single = Path.Combine(directory, weightsName);
        if (!File.Exists(single))
            throw new FileNotFoundException($"neither {weightsName}{SafeTensors.IndexSuffix} nor {weightsName} exists in {directory}", single);
        SafeTensorsFile file = SafeTensorsFile.Open(single);
        var map = file.Names.ToDictionary(n => n, n => (weightsName, 0L), StringComparer.Ordinal);
        var result = new SafeTensorsIndex(single, Path.GetDirectoryName(Path.GetFullPath(single))!, map, null);
        result._open.Add(weightsName, file);
        return result;
    }

    /// <summary>The folder holding the shards.</summary>
    public string Directory { get; }

    /// <summary>All tensor names, sorted ordinally.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>Shard file names (no folder), sorted.</summary>
    public IReadOnlyList<string> ShardFiles { get; }

    /// <summary><c>metadata.total_size</c>: bytes of tensor data over all shards, when the index gives it.</summary>
    public long? TotalSize { get; }

    /// <summary>Whether the index lists a tensor of that name.</summary>
    public bool Contains(string name) => _map.ContainsKey(name);

    /// <summary>The shard file name (no folder) holding a tensor.</summary>
    /// <exception cref="KeyNotFoundException">No tensor of that name.</exception>
    public string GetShardFileName(string name) => Entry(name).Shard;

    /// <summary>The open shard holding a tensor; opened and checked against the index on first use.</summary>
    /// <exception cref="InvalidModelFileException">The shard is missing, malformed, or lacks a tensor the index puts in it.</exception>
    public SafeTensorsFile GetShard(string name)
    {
        (string shard, long at) = Entry(name);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_open.TryGetValue(shard, out SafeTensorsFile? file)) return file;
            string path = Path.Combine(Directory, shard);
            if (!File.Exists(path))
                throw new InvalidModelFileException(_indexPath, at, $"tensor {JsonText.Quote(name)} is mapped to shard '{shard}', which does not exist");
            file = SafeTensorsFile.Open(path);
            foreach (KeyValuePair<string, (string Shard, long At)> kv in _map)
            {
                if (kv.Value.Shard == shard && !file.Contains(kv.Key))
                {
                    file.Dispose();
                    throw new InvalidModelFileException(_indexPath, kv.Value.At,
                        $"tensor {JsonText.Quote(kv.Key)} is mapped to shard '{shard}', which does not contain it");
                }
            }
            _open.Add(shard, file);
            return file;
        }
    }

    /// <summary>Where and how a tensor is stored (in its shard).</summary>
    public TensorInfo GetInfo(string name) => GetShard(name).GetInfo(name);

    /// <summary>Converts a tensor to float32 into <paramref name="destination"/>.</summary>
    public void ReadFloat32(string name, Span<float> destination) => GetShard(name).ReadFloat32(name, destination);

    /// <summary>Reads a tensor into a new float32 <see cref="Tensor"/>.</summary>
    public Tensor ReadTensor(string name) => GetShard(name).ReadTensor(name);

    /// <summary>A tensor's stored bytes, in place in its shard's memory map.</summary>
    public ReadOnlySpan<byte> GetBytes(string name) => GetShard(name).GetBytes(name);

    /// <summary>Closes every open shard.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (SafeTensorsFile f in _open.Values) f.Dispose();
            _open.Clear();
        }
    }

    (string Shard, long At) Entry(string name) =>
        _map.TryGetValue(name, out var e) ? e
            : throw new KeyNotFoundException($"{Path.GetFileName(_indexPath)} lists no tensor {JsonText.Quote(name)}");

    /// <summary>Writes an index as transformers does (sorted keys, two-space indent, final newline), atomically.</summary>
    internal static void WriteIndex(string path, long totalSize, IEnumerable<KeyValuePair<string, string>> weightMap)
    {
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, NewLine = "\n" });
            w.WriteStartObject();
            w.WriteStartObject("metadata");
            w.WriteNumber("total_size", totalSize);
            w.WriteEndObject();
            w.WriteStartObject("weight_map");
            foreach (var kv in weightMap.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(kv.Key, kv.Value);
            w.WriteEndObject();
            w.WriteEndObject();
            w.Flush();
            stream.WriteByte((byte)'\n');
        });
    }

    static long? Parse(string path, byte[] json, Dictionary<string, (string, long)> map)
    {
        int bad = JsonText.FirstInvalidUtf8(json);
        if (bad >= 0) throw new InvalidModelFileException(path, bad, $"index is not valid UTF-8 (byte 0x{json[bad]:X2})");
        try
        {
            var r = new Utf8JsonReader(json);
            return ReadRoot(path, ref r, map);
        }
        catch (JsonException e)
        {
            throw new InvalidModelFileException(path, JsonText.Position(json, e), $"index is not valid JSON: {JsonText.Describe(e)}");
        }
    }

    static long? ReadRoot(string path, ref Utf8JsonReader r, Dictionary<string, (string, long)> map)
    {
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
            throw new InvalidModelFileException(path, r.TokenStartIndex, $"expected the index to be a JSON object, found {JsonText.Describe(r.TokenType)}");
        long? total = null;
        bool sawMap = false;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            string key = Str(path, ref r);
            r.Read();
            if (key == "weight_map" && !sawMap)
            {
                sawMap = true;
                ReadWeightMap(path, ref r, map);
            }
            else if (key == "metadata" && r.TokenType == JsonTokenType.StartObject)
            {
                total = ReadMetadata(path, ref r);
            }
            else if (key is "weight_map" or "metadata")
            {
                throw new InvalidModelFileException(path, r.TokenStartIndex, $"'{key}' must be a single object, found {JsonText.Describe(r.TokenType)}");
            }
            else
            {
                r.Skip(); // other tools add fields; they do not concern loading
            }
        }
        if (!sawMap) throw new InvalidModelFileException(path, 0, "index has no 'weight_map' object");
        r.Read(); // throws on trailing content
        return total;
    }

    static long? ReadMetadata(string path, ref Utf8JsonReader r)
    {
        long? total = null;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            string key = Str(path, ref r);
            r.Read();
            if (key == "total_size")
            {
                // Python writes an int; accept a float holding an integer, as json.load would yield.
                if (r.TokenType != JsonTokenType.Number || !r.TryGetDouble(out double v) || v < 0 || v != Math.Floor(v) || v > long.MaxValue)
                    throw new InvalidModelFileException(path, r.TokenStartIndex, $"metadata.total_size must be a non-negative integer, found {JsonText.Describe(r.TokenType)}");
                total = (long)v;
            }
            else r.Skip();
        }
        return total;
    }

    static void ReadWeightMap(string path, ref Utf8JsonReader r, Dictionary<string, (string, long)> map)
    {
        if (r.TokenType != JsonTokenType.StartObject)
            throw new InvalidModelFileException(path, r.TokenStartIndex, $"'weight_map' must be an object of tensor name → shard file, found {JsonText.Describe(r.TokenType)}");
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            long at = r.TokenStartIndex;
            string name = Str(path, ref r);
            if (map.ContainsKey(name)) throw new InvalidModelFileException(path, at, $"duplicate tensor name {JsonText.Quote(name)} in weight_map");
            r.Read();
            if (r.TokenType != JsonTokenType.String)
                throw new InvalidModelFileException(path, r.TokenStartIndex, $"shard for tensor {JsonText.Quote(name)} must be a string, found {JsonText.Describe(r.TokenType)}");
            long fileAt = r.TokenStartIndex;
            string shard = Str(path, ref r);
            // A shard is a file beside the index; a path could read anywhere on disk.
            if (shard.Length == 0 || shard is "." or ".." || shard.IndexOfAny(['/', '\\', '\0', ':']) >= 0 || Path.GetFileName(shard) != shard)
                throw new InvalidModelFileException(path, fileAt, $"shard {JsonText.Quote(shard)} for tensor {JsonText.Quote(name)} must be a plain file name in the index's folder");
            map.Add(name, (shard, at));
        }
    }

    static string Str(string path, ref Utf8JsonReader r) =>
        JsonText.TryGetString(ref r, out string s) ? s
            : throw new InvalidModelFileException(path, r.TokenStartIndex, "string is not valid (lone surrogate escape)");
}
