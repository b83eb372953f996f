using System.IO.MemoryMappedFiles;
using Switchyard.Tensors;

namespace Switchyard.Formats;

/// <summary>
/// An open safetensors file: header parsed and validated on open, data read in place from a
/// read-only memory map (nothing is copied until asked). Dispose to unmap.
/// </summary>
/// <remarks>
/// Reads are thread-safe; disposing while another thread reads is not. Spans from
/// <see cref="GetBytes(string)"/> are valid until <see cref="Dispose"/>. If another process
/// truncates the file while it is mapped, reads fault: write checkpoints with <see cref="AtomicFile"/>
/// (rename, never in place) so that cannot happen.
/// </remarks>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    // Convert in slices so a tensor over 2 GiB of storage never needs one span over all of it.
    const int ConvertChunk = 1 << 20;

    readonly MemoryMappedFile _map;
    readonly MemoryMappedViewAccessor _view;
    readonly SafeTensorsHeader _header;
    readonly string[] _names;
    byte* _base;

    SafeTensorsFile(string path, long length, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* basePointer)
    {
        FilePath = path;
        FileLength = length;
        _map = map;
        _view = view;
        _base = basePointer;
        long n = SafeTensorsHeader.ReadLength(path, new ReadOnlySpan<byte>(basePointer, SafeTensorsHeader.PrefixBytes), length);
        _header = SafeTensorsHeader.Parse(path, new ReadOnlySpan<byte>(basePointer + SafeTensorsHeader.PrefixBytes, (int)n), length);
        _names = Array.ConvertAll(_header.Tensors, t => t.Name);
    }

    internal static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.RandomAccess);
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        bool acquired = false;
        try
        {
            long length = stream.Length;
            // Mapping a file shorter than the length prefix fails (or maps nothing); reject it first.
            if (length < SafeTensorsHeader.PrefixBytes) SafeTensorsHeader.ReadLength(path, default, length);
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            stream = null!;
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            acquired = true;
            return new SafeTensorsFile(path, length, map, view, p + view.PointerOffset);
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

    /// <summary>The path the file was opened with.</summary>
    public string FilePath { get; }

    /// <summary>Size of the file in bytes.</summary>
    public long FileLength { get; }

    /// <summary>Absolute offset of the data buffer (8 + header length).</summary>
    public long DataOffset => _header.DataOffset;

    /// <summary>Tensor names in data order (increasing offsets).</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>All tensors in data order.</summary>
    public IReadOnlyList<TensorInfo> Tensors => _header.Tensors;

    /// <summary>The <c>__metadata__</c> section (empty when absent), e.g. <c>{"format": "pt"}</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata => _header.Metadata;

    /// <summary>Whether the header has a <c>__metadata__</c> section (possibly empty).</summary>
    public bool HasMetadata => _header.HasMetadata;

    /// <summary>Whether a tensor of that name exists.</summary>
    public bool Contains(string name) => _header.ByName.ContainsKey(name);

    /// <summary>Looks a tensor up by name.</summary>
    public bool TryGetInfo(string name, out TensorInfo info) => _header.ByName.TryGetValue(name, out info!);

    /// <summary>Where and how a tensor is stored.</summary>
    /// <exception cref="KeyNotFoundException">No tensor of that name.</exception>
    public TensorInfo GetInfo(string name) =>
        _header.ByName.TryGetValue(name, out TensorInfo? info) ? info
            : throw new KeyNotFoundException($"{Path.GetFileName(FilePath)} has no tensor {JsonText.Quote(name)}");

    /// <summary>The tensor's stored bytes, in place in the memory map (valid until <see cref="Dispose"/>).</summary>
    /// <exception cref="NotSupportedException">The tensor is 2 GiB or more; use the ranged overload.</exception>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        TensorInfo t = GetInfo(name);
        if (t.ByteLength > int.MaxValue)
            throw new NotSupportedException($"tensor {JsonText.Quote(name)} has {t.ByteLength} bytes, more than one span holds; read it in ranges");
        return Bytes(t, 0, (int)t.ByteLength);
    }

    /// <summary>Bytes <paramref name="start"/>..+<paramref name="length"/> of the tensor's storage, in place.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the tensor.</exception>
    public ReadOnlySpan<byte> GetBytes(string name, long start, int length)
    {
        TensorInfo t = GetInfo(name);
        if (start < 0 || length < 0 || start > t.ByteLength - length)
            throw new ArgumentOutOfRangeException(nameof(start), $"range [{start}, +{length}) is outside tensor {JsonText.Quote(name)} ({t.ByteLength} bytes)");
        return Bytes(t, start, length);
    }

    /// <summary>Converts the tensor to float32 into <paramref name="destination"/> (exactly its element count).</summary>
    /// <exception cref="ArgumentException">Destination length differs from the element count.</exception>
    /// <exception cref="InvalidModelFileException">The dtype cannot be converted to float32 (F4, F6, C64).</exception>
    public void ReadFloat32(string name, Span<float> destination)
    {
        TensorInfo t = GetInfo(name);
        if (destination.Length != t.ElementCount)
            throw new ArgumentException($"tensor {JsonText.Quote(name)} {t.DType} {t.FormatShape()} has {t.ElementCount} elements, destination {destination.Length}", nameof(destination));
        CheckReadable(t);
        int width = t.DType.BitSize() / 8;
        for (int i = 0; i < destination.Length; i += ConvertChunk)
        {
            int n = Math.Min(ConvertChunk, destination.Length - i);
            DTypeConverter.ToFloat32(t.DType, Bytes(t, (long)i * width, n * width), destination.Slice(i, n));
        }
    }

    /// <summary>Reads the tensor into a new float32 <see cref="Tensor"/> of the same shape.</summary>
    /// <exception cref="InvalidModelFileException">Rank above 4, more than 2^31-1 elements, or a dtype not convertible to float32.</exception>
    public Tensor ReadTensor(string name)
    {
        TensorInfo t = GetInfo(name);
        if (t.Shape.Count > Shape.MaxRank)
            throw new InvalidModelFileException(FilePath, t.HeaderOffset,
                $"tensor {JsonText.Quote(name)} has rank {t.Shape.Count} {t.FormatShape()}; a Tensor holds rank ≤ {Shape.MaxRank} (use ReadFloat32)");
        if (t.ElementCount > int.MaxValue)
            throw new InvalidModelFileException(FilePath, t.HeaderOffset,
                $"tensor {JsonText.Quote(name)} {t.FormatShape()} has {t.ElementCount} elements; a Tensor holds at most {int.MaxValue}");
        CheckReadable(t);
        var tensor = new Tensor(t.ToShape());
        ReadFloat32(name, tensor.Span);
        return tensor;
    }

    /// <summary>Unmaps the file. Spans handed out before become invalid.</summary>
    public void Dispose()
    {
        if (_base == null) return;
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }

    void CheckReadable(TensorInfo t)
    {
        if (!t.DType.IsReadableAsFloat32())
            throw new InvalidModelFileException(FilePath, t.HeaderOffset,
                $"tensor {JsonText.Quote(t.Name)} has dtype {t.DType}, which cannot be read as float32");
    }

    ReadOnlySpan<byte> Bytes(TensorInfo t, long start, int length)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        return new ReadOnlySpan<byte>(_base + t.FileOffset + start, length);
    }
}
