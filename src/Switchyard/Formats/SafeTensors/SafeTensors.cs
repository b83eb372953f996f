using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Switchyard.Tensors;

namespace Switchyard.Formats;

/// <summary>
/// Reads and writes the Hugging Face safetensors format: an 8-byte little-endian header length N,
/// N bytes of UTF-8 JSON naming each tensor's dtype, shape and byte range, then the packed data.
/// Output is byte-identical to the reference Rust crate (and so to Python <c>safetensors.torch.save_file</c>)
/// for the same tensors, except that metadata keys are written sorted where the crate's hash map
/// order is arbitrary.
/// </summary>
public static class SafeTensors
{
    /// <summary>Largest header the reference implementation accepts (100 MB); we enforce the same on read and write.</summary>
    public const int MaxHeaderBytes = 100_000_000;

    /// <summary>The name of the index of a sharded checkpoint for weights file <c>model.safetensors</c>.</summary>
    public const string IndexSuffix = ".index.json";

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Opens a file read-only and memory-mapped, validating its whole header.</summary>
    /// <exception cref="InvalidModelFileException">The file breaks the format.</exception>
    public static SafeTensorsFile Open(string path) => SafeTensorsFile.Open(path);

    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/> atomically (temp file, flush, rename).
    /// Tensors are stored as the Rust crate orders them: by dtype alignment descending, then by name.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="tensors">Tensors with unique names; data converted to each entry's dtype.</param>
    /// <param name="metadata">The <c>__metadata__</c> section; null omits it.</param>
    /// <exception cref="ArgumentException">Duplicate or reserved names, data length ≠ shape size, an unwritable dtype, or a header over 100 MB.</exception>
    public static void Write(string path, IReadOnlyList<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Plan plan = Prepare(tensors, metadata);
        AtomicFile.Write(path, s => Emit(s, plan));
    }

    /// <summary>Writes the file's bytes to <paramref name="stream"/> (not atomic; for tests and in-memory use).</summary>
    /// <inheritdoc cref="Write(string, IReadOnlyList{SafeTensorEntry}, IReadOnlyDictionary{string, string}?)"/>
    public static void Write(Stream stream, IReadOnlyList<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Emit(stream, Prepare(tensors, metadata));
    }

    /// <summary>
    /// Writes a checkpoint split into shards of at most <paramref name="maxShardBytes"/> of tensor data,
    /// as Hugging Face does: tensors in the given order fill a shard until the next would overflow it;
    /// a tensor larger than the limit gets a shard of its own. Shards are named
    /// <c>model-00001-of-00003.safetensors</c> and listed in <c>model.safetensors.index.json</c>
    /// (written last); a checkpoint that fits one shard is written as plain <c>model.safetensors</c>, without index.
    /// Afterwards, files of an earlier save in the same folder that the new checkpoint does not use
    /// (shards of another count, an index or single file of the other layout) are deleted.
    /// </summary>
    /// <remarks>Each file is replaced atomically, the checkpoint as a whole is not: a crash midway can
    /// leave new shards beside the old index. Save to a fresh folder when that matters.</remarks>
    /// <param name="directory">Existing folder to write into.</param>
    /// <param name="tensors">All tensors, unique names.</param>
    /// <param name="maxShardBytes">Limit on each shard's tensor bytes (headers not counted, as in Hugging Face).</param>
    /// <param name="metadata">Metadata written into every shard.</param>
    /// <param name="weightsName">Name of the unsharded file; shards and index derive from it.</param>
    /// <returns>Paths written: the shards, then the index if any.</returns>
    public static IReadOnlyList<string> WriteSharded(string directory, IReadOnlyList<SafeTensorEntry> tensors, long maxShardBytes,
        IReadOnlyDictionary<string, string>? metadata = null, string weightsName = "model.safetensors")
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes);
        ArgumentException.ThrowIfNullOrEmpty(weightsName);
        if (Path.GetFileName(weightsName) != weightsName || !weightsName.EndsWith(".safetensors", StringComparison.Ordinal))
            throw new ArgumentException($"'{weightsName}' must be a file name ending in .safetensors", nameof(weightsName));
        Prepare(tensors, metadata); // validate everything before the first file is written

        // huggingface_hub split_state_dict_into_shards_factory, same greedy rule.
        var shards = new List<List<SafeTensorEntry>>();
        var current = new List<SafeTensorEntry>();
        long currentBytes = 0, total = 0;
        foreach (SafeTensorEntry t in tensors)
        {
            long bytes = t.DType.ByteSize(t.Data.Length);
            total += bytes;
            if (bytes > maxShardBytes)
            {
                shards.Add([t]);
                continue;
            }
            if (currentBytes + bytes > maxShardBytes)
            {
                shards.Add(current);
                current = [];
                currentBytes = 0;
            }
            current.Add(t);
            currentBytes += bytes;
        }
        if (current.Count > 0 || shards.Count == 0) shards.Add(current);

        var written = new List<string>();
        string stem = weightsName[..^".safetensors".Length];
        string index = Path.Combine(directory, weightsName + IndexSuffix);
        if (shards.Count == 1)
        {
            string single = Path.Combine(directory, weightsName);
            Write(single, shards[0], metadata);
            written.Add(single);
            RemoveStale(directory, stem, written, index);
            return written;
        }
        var weightMap = new List<KeyValuePair<string, string>>();
        for (int i = 0; i < shards.Count; i++)
        {
            string file = $"{stem}-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            string path = Path.Combine(directory, file);
            Write(path, shards[i], metadata);
            written.Add(path);
            foreach (SafeTensorEntry t in shards[i]) weightMap.Add(new(t.Name, file));
        }
        SafeTensorsIndex.WriteIndex(index, total, weightMap);
        written.Add(index);
        RemoveStale(directory, stem, written, Path.Combine(directory, weightsName));
        return written;
    }

    // A previous save into the same folder may have used another shard count (or none): its extra
    // shards, or an index that would now shadow the single file, would make loaders read stale
    // tensors. Remove exactly those names, as transformers' save_pretrained does, after the new
    // checkpoint is complete.
    static void RemoveStale(string directory, string stem, List<string> written, string otherLayout)
    {
        var keep = new HashSet<string>(written.Select(Path.GetFullPath), StringComparer.Ordinal);
        var candidates = Directory.EnumerateFiles(directory, stem + "-?????-of-?????.safetensors")
            .Where(f => IsShardName(Path.GetFileName(f), stem))
            .Append(otherLayout)
            .ToList(); // materialized: deleting while enumerating a folder is unspecified
        foreach (string f in candidates)
        {
            if (!keep.Contains(Path.GetFullPath(f)) && File.Exists(f)) File.Delete(f);
        }
    }

    static bool IsShardName(string file, string stem)
    {
        // stem-NNNNN-of-NNNNN.safetensors, digits only
        ReadOnlySpan<char> rest = file.AsSpan(stem.Length);
        return rest.Length == "-00001-of-00002.safetensors".Length
            && rest[0] == '-' && rest[6..10].SequenceEqual("-of-") && rest[15..].SequenceEqual(".safetensors")
            && !rest[1..6].ContainsAnyExceptInRange('0', '9') && !rest[10..15].ContainsAnyExceptInRange('0', '9');
    }

    sealed record Plan(byte[] Header, SafeTensorEntry[] Ordered);

    static Plan Prepare(IReadOnlyList<SafeTensorEntry> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var items = new (byte[] Name, SafeTensorEntry Entry)[tensors.Count];
        for (int i = 0; i < tensors.Count; i++)
        {
            SafeTensorEntry t = tensors[i] ?? throw new ArgumentException($"tensor {i} is null", nameof(tensors));
            if (t.Name is null) throw new ArgumentException($"tensor {i} has no name", nameof(tensors));
            if (t.Name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor", nameof(tensors));
            if (!names.Add(t.Name)) throw new ArgumentException($"duplicate tensor name {JsonText.Quote(t.Name)}", nameof(tensors));
            if (!t.DType.IsWritableFromFloat32())
                throw new ArgumentException($"tensor {JsonText.Quote(t.Name)}: cannot write float32 data as {t.DType}; use F32, F16 or BF16", nameof(tensors));
            // Count from the dimensions, not Shape.Size: default(Shape) has rank 0 but size 0,
            // while a rank-0 tensor in the file is a scalar of one element.
            long elements = Elements(t.Shape);
            if (t.Data.Length != elements)
                throw new ArgumentException($"tensor {JsonText.Quote(t.Name)}: shape {t.Shape} has {elements} elements, data has {t.Data.Length}", nameof(tensors));
            items[i] = (Utf8(t.Name, nameof(tensors)), t);
        }
        // The Rust crate: descending dtype (its enum is in increasing alignment), then name as bytes.
        Array.Sort(items, (a, b) =>
        {
            int c = TensorDTypes.WriterRank(b.Entry.DType).CompareTo(TensorDTypes.WriterRank(a.Entry.DType));
            return c != 0 ? c : a.Name.AsSpan().SequenceCompareTo(b.Name);
        });

        var header = new SafeTensorsHeaderWriter.Item[items.Length];
        long offset = 0;
        for (int i = 0; i < items.Length; i++)
        {
            SafeTensorEntry t = items[i].Entry;
            long bytes = t.DType.ByteSize(t.Data.Length);
            int[] dims = new int[t.Shape.Rank];
            for (int d = 0; d < dims.Length; d++) dims[d] = t.Shape[d];
            header[i] = new(items[i].Name, t.DType, dims, offset, offset + bytes);
            offset += bytes;
        }
        List<(byte[], byte[])>? meta = null;
        if (metadata is not null)
        {
            meta = metadata.Select(kv => (Utf8(kv.Key, nameof(metadata)), Utf8(kv.Value ?? throw new ArgumentException($"metadata {JsonText.Quote(kv.Key)} is null", nameof(metadata)), nameof(metadata))))
                .ToList();
            // Sorted: the crate's HashMap order is arbitrary, ours must be reproducible.
            meta.Sort((a, b) => a.Item1.AsSpan().SequenceCompareTo(b.Item1));
        }
        byte[] json = SafeTensorsHeaderWriter.Build(header, meta);
        if (json.Length > MaxHeaderBytes)
            throw new ArgumentException($"header would be {json.Length} bytes, over the {MaxHeaderBytes}-byte limit readers enforce", nameof(tensors));
        return new Plan(json, items.Select(x => x.Entry).ToArray());
    }

    static long Elements(Shape shape)
    {
        long n = 1;
        for (int d = 0; d < shape.Rank; d++) n *= shape[d];
        return n;
    }

    static byte[] Utf8(string s, string param)
    {
        try { return StrictUtf8.GetBytes(s); }
        catch (EncoderFallbackException) { throw new ArgumentException($"{JsonText.Quote(s)} is not valid UTF-16 (lone surrogate)", param); }
    }

    static void Emit(Stream s, Plan plan)
    {
        Span<byte> prefix = stackalloc byte[SafeTensorsHeader.PrefixBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)plan.Header.Length);
        s.Write(prefix);
        s.Write(plan.Header);
        // Convert in chunks: a multi-gigabyte tensor never needs a second full-size copy.
        const int chunk = 1 << 14;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(chunk * sizeof(float));
        try
        {
            foreach (SafeTensorEntry t in plan.Ordered)
            {
                int width = t.DType.BitSize() / 8;
                ReadOnlySpan<float> data = t.Data.Span;
                for (int i = 0; i < data.Length; i += chunk)
                {
                    int n = Math.Min(chunk, data.Length - i);
                    Span<byte> bytes = buffer.AsSpan(0, n * width);
                    DTypeConverter.FromFloat32(t.DType, data.Slice(i, n), bytes);
                    s.Write(bytes);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
