using System.IO.MemoryMappedFiles;
using Switchyard.Tensors;

namespace Switchyard.Formats.Gguf;

/// <summary>
/// An open GGUF file (version 2 or 3, little-endian): header, metadata and tensor infos parsed
/// and validated on open, tensor data read in place from a read-only memory map. Dispose to unmap.
/// </summary>
/// <remarks>
/// <para>Layout: magic <c>GGUF</c>, u32 version, u64 tensor count, u64 metadata count, the metadata
/// key/value pairs, the tensor infos (name, n_dims, ne[n_dims], ggml type, offset), padding to
/// <see cref="Alignment"/>, then the data section; each tensor's offset is relative to it and aligned.</para>
/// <para>Reads are thread-safe; disposing while another thread reads is not. Spans and memory handed out
/// are valid until <see cref="Dispose"/>. As with <see cref="SafeTensorsFile"/>, a file truncated by another
/// process while mapped makes reads fault: replace files by rename (<see cref="AtomicFile"/>).</para>
/// </remarks>
public sealed unsafe class GgufFile : IDisposable
{
    // Convert in slices so no single span covers a multi-GiB tensor, and scratch stays small.
    const int ConvertChunkValues = 1 << 20;

    readonly MemoryMappedFile? _map;
    readonly MemoryMappedViewAccessor? _view;
    System.Runtime.InteropServices.GCHandle _pinned; // FromMemory only
    readonly GgufHeader _header;
    byte* _base;
    bool _disposed;

    GgufFile(string path, long length, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* basePointer, GgufHeader header)
    {
        FilePath = path;
        FileLength = length;
        _map = map;
        _view = view;
        _base = basePointer;
        _header = header;
    }

    /// <summary>Opens, maps and validates <paramref name="path"/>.</summary>
    /// <exception cref="InvalidModelFileException">The file breaks the GGUF format (the message names the offset and field).</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static GgufFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.RandomAccess);
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        bool acquired = false;
        try
        {
            long length = stream.Length;
            if (length == 0)
            {
                // An empty file cannot be mapped; let the parser report it.
                stream.Dispose();
                GgufHeader.Parse(path, null, 0);
                throw new InvalidOperationException("unreachable: an empty file parsed");
            }
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            stream = null!;
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            acquired = true;
            p += view.PointerOffset;
            var header = GgufHeader.Parse(path, p, length);
            return new GgufFile(path, length, map, view, p, header);
        }
        catch
        {
            if (acquired) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map?.Dispose();
            stream?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Parses a whole file held in <paramref name="bytes"/> (pinned until dispose) as if opened from
    /// <paramref name="path"/>: for tests that check thousands of corrupt files without touching the disk.
    /// </summary>
    internal static GgufFile FromMemory(string path, byte[] bytes)
    {
        var handle = System.Runtime.InteropServices.GCHandle.Alloc(bytes, System.Runtime.InteropServices.GCHandleType.Pinned);
        try
        {
            byte* p = (byte*)handle.AddrOfPinnedObject();
            var header = GgufHeader.Parse(path, p, bytes.Length);
            return new GgufFile(path, bytes.Length, null, null, p, header) { _pinned = handle };
        }
        catch
        {
            handle.Free();
            throw;
        }
    }

    /// <summary>The path the file was opened with.</summary>
    public string FilePath { get; }

    /// <summary>Size of the file in bytes.</summary>
    public long FileLength { get; }

    /// <summary>Format version (2 or 3).</summary>
    public uint Version => _header.Version;

    /// <summary>Alignment of tensor data: <c>general.alignment</c>, default 32.</summary>
    public uint Alignment => _header.Alignment;

    /// <summary>Absolute offset of the data section (end of the tensor infos, rounded up to <see cref="Alignment"/>).</summary>
    public long DataOffset => _header.DataOffset;

    /// <summary>Metadata in file order.</summary>
    public GgufMetadata Metadata => _header.Metadata;

    /// <summary>Tensors in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors => _header.Tensors;

    /// <summary>Whether a tensor of that name exists.</summary>
    public bool Contains(string name) => _header.ByName.ContainsKey(name);

    /// <summary>Looks a tensor up by name.</summary>
    public bool TryGetTensor(string name, out GgufTensorInfo info) => _header.ByName.TryGetValue(name, out info!);

    /// <summary>Where and how a tensor is stored.</summary>
    /// <exception cref="KeyNotFoundException">No tensor of that name.</exception>
    public GgufTensorInfo GetTensor(string name) =>
        _header.ByName.TryGetValue(name, out GgufTensorInfo? info) ? info
            : throw new KeyNotFoundException($"{Path.GetFileName(FilePath)} has no tensor '{name}'");

    /// <summary>The tensor's stored bytes in place in the memory map (valid until <see cref="Dispose"/>).</summary>
    /// <exception cref="NotSupportedException">The tensor is 2 GiB or more.</exception>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        GgufTensorInfo t = GetTensor(name);
        return new ReadOnlySpan<byte>(Pointer(t), SpanLength(t));
    }

    /// <summary>
    /// The tensor's stored bytes as memory over the map, without copying (for <c>WeightMatrix</c>);
    /// valid until <see cref="Dispose"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">The tensor is 2 GiB or more.</exception>
    public ReadOnlyMemory<byte> GetMemory(string name)
    {
        GgufTensorInfo t = GetTensor(name);
        return new MappedMemory(Pointer(t), SpanLength(t)).Memory;
    }

    /// <summary>Whether <see cref="ReadFloat32"/> can convert tensors of <paramref name="type"/>.</summary>
    public static bool CanReadAsFloat32(GgmlType type) => GgufConversion.CanDequantize(type);

    /// <summary>Converts the tensor to float32 (dequantizing block types) into <paramref name="destination"/>, exactly its element count.</summary>
    /// <exception cref="ArgumentException">Destination length differs from the element count.</exception>
    /// <exception cref="InvalidModelFileException">The type cannot be converted to float32 here.</exception>
    public void ReadFloat32(string name, Span<float> destination)
    {
        GgufTensorInfo t = GetTensor(name);
        if (destination.Length != t.ElementCount)
            throw new ArgumentException($"tensor '{name}' {t.Type} {t.FormatShape()} has {t.ElementCount} values, destination {destination.Length}", nameof(destination));
        if (!GgufConversion.CanDequantize(t.Type))
            throw new InvalidModelFileException(FilePath, t.InfoOffset, $"tensor '{name}' has type {t.Type}, which Switchyard cannot convert to float32");
        int block = GgmlTypes.BlockSize(t.Type), size = GgmlTypes.TypeSize(t.Type);
        int chunkBlocks = Math.Max(1, ConvertChunkValues / block);
        long blocks = t.ElementCount / block;
        byte* p = Pointer(t);
        for (long b = 0; b < blocks; b += chunkBlocks)
        {
            int n = (int)Math.Min(chunkBlocks, blocks - b);
            GgufConversion.Dequantize(t.Type, new ReadOnlySpan<byte>(p + b * size, n * size), destination.Slice((int)(b * block), n * block));
        }
    }

    /// <summary>
    /// Converts rows <paramref name="firstRow"/>.. of the tensor (rows of ne[0] values) to float32 into
    /// <paramref name="destination"/>, whose length must be a whole number of rows: one expert's slice
    /// of a stacked <c>ffn_*_exps</c> tensor, say.
    /// </summary>
    /// <exception cref="ArgumentException">Destination is not whole rows.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The rows are not inside the tensor.</exception>
    /// <exception cref="InvalidModelFileException">The type cannot be converted to float32 here.</exception>
    public void ReadRows(string name, long firstRow, Span<float> destination)
    {
        GgufTensorInfo t = GetTensor(name);
        if (destination.Length % t.Columns != 0)
            throw new ArgumentException($"tensor '{name}' has rows of {t.Columns} values; destination {destination.Length} is not whole rows", nameof(destination));
        long rows = destination.Length / t.Columns;
        if (firstRow < 0 || firstRow > t.Rows - rows)
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"rows [{firstRow}, +{rows}) are outside tensor '{name}' ({t.Rows} rows)");
        if (!GgufConversion.CanDequantize(t.Type))
            throw new InvalidModelFileException(FilePath, t.InfoOffset, $"tensor '{name}' has type {t.Type}, which Switchyard cannot convert to float32");
        long rowBytes = GgmlTypes.RowBytes(t.Type, t.Columns);
        byte* p = Pointer(t) + firstRow * rowBytes;
        int chunkRows = (int)Math.Max(1, ConvertChunkValues / t.Columns);
        for (long r = 0; r < rows; r += chunkRows)
        {
            int n = (int)Math.Min(chunkRows, rows - r);
            GgufConversion.Dequantize(t.Type, new ReadOnlySpan<byte>(p + r * rowBytes, checked((int)(n * rowBytes))),
                destination.Slice((int)(r * t.Columns), (int)(n * t.Columns)));
        }
    }

    /// <summary>Reads the tensor into a new float32 <see cref="Tensor"/> of its PyTorch-order shape (ggml dimensions reversed).</summary>
    /// <exception cref="InvalidModelFileException">More than 2^31-1 values, or a type that cannot be converted.</exception>
    public Tensor ReadTensor(string name)
    {
        GgufTensorInfo t = GetTensor(name);
        if (t.ElementCount > int.MaxValue)
            throw new InvalidModelFileException(FilePath, t.InfoOffset, $"tensor '{name}' {t.FormatShape()} has {t.ElementCount} values; a Tensor holds at most {int.MaxValue}");
        Span<int> dims = stackalloc int[Math.Max(1, t.Dimensions.Length)];
        if (t.Dimensions.Length == 0) dims[0] = 1;
        for (int i = 0; i < t.Dimensions.Length; i++) dims[i] = (int)t.Dimensions[t.Dimensions.Length - 1 - i];
        var shape = dims.Length switch
        {
            1 => new Shape(dims[0]),
            2 => new Shape(dims[0], dims[1]),
            3 => new Shape(dims[0], dims[1], dims[2]),
            _ => new Shape(dims[0], dims[1], dims[2], dims[3]),
        };
        var tensor = new Tensor(shape);
        ReadFloat32(name, tensor.Span);
        return tensor;
    }

    /// <summary>Unmaps the file. Spans and memory handed out before become invalid.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _base = null;
        _view?.SafeMemoryMappedViewHandle.ReleasePointer();
        _view?.Dispose();
        _map?.Dispose();
        if (_pinned.IsAllocated) _pinned.Free();
    }

    byte* Pointer(GgufTensorInfo t)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _base + t.FileOffset;
    }

    static int SpanLength(GgufTensorInfo t) => t.ByteLength <= int.MaxValue ? (int)t.ByteLength
        : throw new NotSupportedException($"tensor '{t.Name}' has {t.ByteLength} bytes, more than one span holds");
}
