using System.Diagnostics;
using Microsoft.Win32.SafeHandles;
using Switchyard.Formats;
using Switchyard.Tensors;

namespace Switchyard.Inference;

/// <summary>
/// Routed experts streamed from the checkpoint under a memory budget (expert offloading). A fixed pool
/// of <see cref="Slots"/> buffers of <see cref="SlotBytes"/> each, allocated once, holds the resident
/// experts; a request for one that is not resident evicts another (chosen by the
/// <see cref="IExpertCachePolicy"/>) and reads the expert's bytes into the freed buffer with explicit
/// positional reads (<see cref="RandomAccess.Read(SafeFileHandle, Span{byte}, long)"/>) on file handles
/// opened once. The returned <see cref="WeightMatrix"/> views point into the buffer: nothing is copied
/// after the read, and a hit allocates nothing.
/// </summary>
/// <remarks>
/// <para>Why explicit reads rather than a memory map: with a map the OS page cache decides what stays in
/// memory, and the budget would not bound the process's footprint; here the pool is the only copy we keep.
/// The OS may still cache the file's pages on its own (that only makes misses cheaper).</para>
/// <para>Not thread-safe: the engine asks for one expert at a time (see <see cref="IExpertWeightSource"/>).
/// Weights from <see cref="Get"/> are valid until the next <see cref="Get"/> or <see cref="Pin"/>.</para>
/// </remarks>
public sealed class StreamingExpertSource : IExpertWeightSource, IDisposable
{
    const int PartAlignment = 64; // each projection starts on a cache line when parts are read separately

    readonly Plan[] _plans;              // per flat expert id
    readonly int[] _layerBase;           // flat id of (layer, 0); -1 for a layer without MoE
    readonly int[] _layerExperts;        // experts in each layer (0 without MoE)
    readonly SafeFileHandle[] _files;
    readonly string[] _filePaths;
    readonly byte[][] _pool;
    readonly ExpertWeights?[] _weights;  // per slot, built when the slot is filled
    readonly int[] _slotOf;              // per flat id: its slot or -1
    readonly int[] _heldBy;              // per slot: flat id or -1
    readonly bool[] _evictable;          // per slot: false while pinned
    readonly Stack<int> _free;
    readonly IExpertCachePolicy _policy;
    readonly List<ExpertKey> _trace = [];
    readonly long[] _layerRequests, _layerHits;
    long _requests, _hits, _misses, _bytesRead, _readTicks;
    int _pinned;
    bool _disposed;

    /// <summary>
    /// Opens the files behind <paramref name="experts"/> and allocates the pool:
    /// slots = min(<paramref name="budgetBytes"/> / largest expert, number of experts).
    /// </summary>
    /// <param name="experts">Per decoder layer, the locations of its routed experts; null or empty for a layer without MoE.</param>
    /// <param name="budgetBytes">Bytes of expert weights to keep resident at most.</param>
    /// <param name="policy">Eviction policy (default <see cref="LruPolicy"/>); one instance per source.</param>
    /// <param name="recordTrace">Start with <see cref="RecordTrace"/> on.</param>
    /// <exception cref="MemoryBudgetException">The budget is smaller than the largest expert; the message gives that minimum.</exception>
    /// <exception cref="InvalidModelFileException">A location lies outside its file or its byte count does not match its shape and type.</exception>
    /// <exception cref="ArgumentException">No experts at all.</exception>
    public StreamingExpertSource(IReadOnlyList<IReadOnlyList<ExpertLocation>?> experts, long budgetBytes,
        IExpertCachePolicy? policy = null, bool recordTrace = false)
    {
        ArgumentNullException.ThrowIfNull(experts);
        _policy = policy ?? new LruPolicy();
        RecordTrace = recordTrace;
        BudgetBytes = budgetBytes;
        _layerBase = new int[experts.Count];
        _layerExperts = new int[experts.Count];
        int total = 0;
        for (int l = 0; l < experts.Count; l++)
        {
            int n = experts[l]?.Count ?? 0;
            _layerBase[l] = n == 0 ? -1 : total;
            _layerExperts[l] = n;
            total += n;
        }
        if (total == 0) throw new ArgumentException("no layer has routed experts", nameof(experts));

        var fileIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var files = new List<SafeFileHandle>();
        var paths = new List<string>();
        var lengths = new List<long>();
        _plans = new Plan[total];
        long largest = 0;
        try
        {
            for (int l = 0; l < experts.Count; l++)
            {
                for (int e = 0; e < _layerExperts[l]; e++)
                {
                    ExpertLocation loc = experts[l]![e];
                    Span<TensorLocation> parts = [loc.Gate, loc.Up, loc.Down];
                    var reads = new Read[3];
                    for (int p = 0; p < 3; p++)
                    {
                        TensorLocation t = parts[p];
                        ArgumentException.ThrowIfNullOrEmpty(t.FilePath, nameof(experts));
                        if (!fileIndex.TryGetValue(t.FilePath, out int f))
                        {
                            f = files.Count;
                            SafeFileHandle h = File.OpenHandle(t.FilePath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
                            files.Add(h);
                            paths.Add(t.FilePath);
                            lengths.Add(RandomAccess.GetLength(h));
                            fileIndex.Add(t.FilePath, f);
                        }
                        Check(t, lengths[f], l, e, PartNames[p]);
                        reads[p] = new Read(f, t.Offset, 0, (int)t.ByteLength);
                    }
                    _plans[_layerBase[l] + e] = Layout(loc, reads);
                    largest = Math.Max(largest, _plans[_layerBase[l] + e].Bytes);
                }
            }
        }
        catch
        {
            foreach (SafeFileHandle h in files) h.Dispose();
            throw;
        }
        _files = [.. files];
        _filePaths = [.. paths];
        if (budgetBytes < largest)
        {
            foreach (SafeFileHandle h in _files) h.Dispose();
            throw new MemoryBudgetException(
                $"expert memory budget {ByteSize.Format(budgetBytes)} ({budgetBytes} bytes) is smaller than the largest expert; "
                + $"the minimum is {ByteSize.Format(largest)} ({largest} bytes, one expert's gate, up and down)", budgetBytes, largest);
        }
        SlotBytes = largest;
        Slots = (int)Math.Min(budgetBytes / largest, total);
        _pool = new byte[Slots][];
        // Pinned: the kernels take pointers to weights, and a fixed address keeps the I/O buffer stable.
        // Uninitialized: every byte a view covers is read from the file before it is handed out.
        for (int s = 0; s < Slots; s++) _pool[s] = GC.AllocateUninitializedArray<byte>((int)largest, pinned: true);
        _weights = new ExpertWeights?[Slots];
        _heldBy = new int[Slots];
        Array.Fill(_heldBy, -1);
        _evictable = new bool[Slots];
        Array.Fill(_evictable, true);
        _free = new Stack<int>(Slots);
        for (int s = Slots - 1; s >= 0; s--) _free.Push(s);
        _slotOf = new int[total];
        Array.Fill(_slotOf, -1);
        _layerRequests = new long[experts.Count];
        _layerHits = new long[experts.Count];
        _policy.Initialize(Slots);
        ExpertCount = total;
    }

    static readonly string[] PartNames = ["gate", "up", "down"];

    /// <summary>The budget the source was created with.</summary>
    public long BudgetBytes { get; }

    /// <summary>Bytes of one pool buffer: the largest expert (its three projections).</summary>
    public long SlotBytes { get; }

    /// <summary>Experts resident at once.</summary>
    public int Slots { get; }

    /// <summary>Bytes of the pool: <see cref="Slots"/> × <see cref="SlotBytes"/> ≤ <see cref="BudgetBytes"/>.</summary>
    public long PoolBytes => Slots * SlotBytes;

    /// <summary>Routed experts over all layers.</summary>
    public int ExpertCount { get; }

    /// <summary>The eviction policy.</summary>
    public IExpertCachePolicy Policy => _policy;

    /// <summary>Whether requests are appended to <see cref="Trace"/>.</summary>
    public bool RecordTrace { get; set; }

    /// <summary>The (layer, expert) requests recorded while <see cref="RecordTrace"/> was on, in order; replay it with <see cref="CacheSimulator"/> or <see cref="BeladyReplay"/>.</summary>
    public IReadOnlyList<ExpertKey> Trace => _trace;

    /// <summary>A snapshot of the counters.</summary>
    public ExpertCacheStatistics Statistics
    {
        get
        {
            var layers = new List<LayerCacheStatistics>();
            for (int l = 0; l < _layerExperts.Length; l++)
                if (_layerExperts[l] > 0) layers.Add(new LayerCacheStatistics(l, _layerRequests[l], _layerHits[l]));
            return new ExpertCacheStatistics(_requests, _hits, _misses, _bytesRead, (double)_readTicks / Stopwatch.Frequency, layers);
        }
    }

    /// <summary>Zeroes the counters and clears the trace; resident experts stay.</summary>
    public void ResetStatistics()
    {
        _requests = _hits = _misses = _bytesRead = _readTicks = 0;
        Array.Clear(_layerRequests);
        Array.Clear(_layerHits);
        _trace.Clear();
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">No such MoE layer or expert.</exception>
    /// <exception cref="InvalidModelFileException">The file ended before the expert's bytes (it changed since the source was created).</exception>
    public ExpertWeights Get(int layer, int expert)
    {
        int id = Id(layer, expert);
        var key = new ExpertKey(layer, expert);
        _requests++;
        _layerRequests[layer]++;
        if (RecordTrace) _trace.Add(key);
        int slot = _slotOf[id];
        if (slot >= 0)
        {
            _hits++;
            _layerHits[layer]++;
            _policy.Accessed(slot, key, filled: false);
            return _weights[slot]!;
        }
        _misses++;
        slot = Fill(id, key);
        _policy.Accessed(slot, key, filled: true);
        return _weights[slot]!;
    }

    /// <summary>Whether the expert is in the pool now.</summary>
    public bool IsResident(int layer, int expert) => _slotOf[Id(layer, expert)] >= 0;

    /// <summary>
    /// Loads the expert (unless resident) and keeps it resident until <see cref="Unpin"/>; not counted as a request.
    /// At least one slot stays unpinned for streaming, unless every expert fits in the pool.
    /// </summary>
    /// <exception cref="InvalidOperationException">Pinning it would leave no slot for the experts that must stream.</exception>
    public void Pin(int layer, int expert)
    {
        int id = Id(layer, expert);
        int slot = _slotOf[id];
        if (slot >= 0 && !_evictable[slot]) return;
        if (Slots < ExpertCount && _pinned + 1 > Slots - 1)
            throw new InvalidOperationException(
                $"cannot pin ({layer}, {expert}): {_pinned} of {Slots} slots are pinned and one must stay free to stream the other {ExpertCount - _pinned} experts");
        if (slot < 0) slot = Fill(id, new ExpertKey(layer, expert));
        _evictable[slot] = false;
        _pinned++;
    }

    /// <summary>Lets a pinned expert be evicted again; nothing happens if it is not pinned.</summary>
    public void Unpin(int layer, int expert)
    {
        int slot = _slotOf[Id(layer, expert)];
        if (slot < 0 || _evictable[slot]) return;
        _evictable[slot] = true;
        _pinned--;
    }

    /// <summary>Closes the files. The pool is left to the GC.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (SafeFileHandle h in _files) h.Dispose();
    }

    int Id(int layer, int expert)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((uint)layer >= (uint)_layerBase.Length || _layerBase[layer] < 0)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, "not a layer with routed experts");
        if ((uint)expert >= (uint)_layerExperts[layer])
            throw new ArgumentOutOfRangeException(nameof(expert), expert, $"layer {layer} has {_layerExperts[layer]} experts");
        return _layerBase[layer] + expert;
    }

    // Takes a free slot or evicts one, then reads the expert into it.
    int Fill(int id, ExpertKey key)
    {
        int slot;
        if (_free.Count > 0) slot = _free.Pop();
        else
        {
            slot = _policy.ChooseVictim(_evictable, key);
            if ((uint)slot >= (uint)Slots || !_evictable[slot])
                throw new InvalidOperationException($"policy {_policy.Name} chose slot {slot}, which is not an evictable slot");
            _slotOf[_heldBy[slot]] = -1;
            _heldBy[slot] = -1;
            _weights[slot] = null;
        }
        Plan plan = _plans[id];
        byte[] buffer = _pool[slot];
        long start = Stopwatch.GetTimestamp();
        try
        {
            foreach (Read r in plan.Reads) ReadExactly(r, buffer);
        }
        catch
        {
            _free.Push(slot); // the slot holds nothing valid
            throw;
        }
        _readTicks += Stopwatch.GetTimestamp() - start;
        _bytesRead += plan.ReadBytes;
        ExpertLocation loc = plan.Location;
        _weights[slot] = new ExpertWeights(
            Matrix(loc.Gate, buffer, plan.GateAt), Matrix(loc.Up, buffer, plan.UpAt), Matrix(loc.Down, buffer, plan.DownAt));
        _heldBy[slot] = id;
        _slotOf[id] = slot;
        return slot;
    }

    static WeightMatrix Matrix(TensorLocation t, byte[] buffer, int at) =>
        new(t.Type, t.Rows, t.Cols, new ReadOnlyMemory<byte>(buffer, at, (int)t.ByteLength));

    void ReadExactly(Read r, byte[] buffer)
    {
        Span<byte> dst = buffer.AsSpan(r.SlotOffset, r.Length);
        long offset = r.FileOffset;
        while (!dst.IsEmpty)
        {
            int n = RandomAccess.Read(_files[r.File], dst, offset);
            if (n == 0)
                throw new InvalidModelFileException(_filePaths[r.File], offset,
                    $"the file ended while reading an expert ({dst.Length} bytes short); it changed after it was opened");
            dst = dst[n..];
            offset += n;
        }
    }

    static void Check(TensorLocation t, long fileLength, int layer, int expert, string part)
    {
        string what = $"expert ({layer}, {expert}) {part}";
        if (t.Rows <= 0 || t.Cols <= 0 || !GgmlTypes.IsDefined(t.Type))
            throw new InvalidModelFileException(t.FilePath, t.Offset, $"{what}: {t.Type} [{t.Rows}, {t.Cols}] is not a valid matrix");
        long rowBytes = GgmlTypes.RowBytes(t.Type, t.Cols);
        if (rowBytes < 0 || t.ByteLength != t.Rows * rowBytes)
            throw new InvalidModelFileException(t.FilePath, t.Offset,
                $"{what}: {t.Type} [{t.Rows}, {t.Cols}] needs {(rowBytes < 0 ? "whole blocks" : $"{t.Rows * rowBytes} bytes")}, the location has {t.ByteLength}");
        if (t.Offset < 0 || t.Offset > fileLength - t.ByteLength)
            throw new InvalidModelFileException(t.FilePath, t.Offset,
                $"{what}: bytes [{t.Offset}, {t.Offset + t.ByteLength}) are not inside the file ({fileLength} bytes)");
    }

    // One read when the three projections lie back to back in one file (safetensors orders an expert's
    // down, gate, up by name, adjacent): views at their file-relative positions. Otherwise three reads,
    // each part on its own cache line.
    static Plan Layout(ExpertLocation loc, Read[] parts)
    {
        int[] order = [0, 1, 2];
        Array.Sort(order, (a, b) => parts[a].FileOffset.CompareTo(parts[b].FileOffset));
        bool contiguous = true;
        for (int i = 1; i < 3; i++)
        {
            Read prev = parts[order[i - 1]], cur = parts[order[i]];
            contiguous &= cur.File == prev.File && cur.FileOffset == prev.FileOffset + prev.Length;
        }
        long total = (long)parts[0].Length + parts[1].Length + parts[2].Length;
        if (contiguous)
        {
            long first = parts[order[0]].FileOffset;
            CheckSize(total + PartAlignment * 2L);
            return new Plan(loc, [new Read(parts[0].File, first, 0, (int)total)],
                (int)(parts[0].FileOffset - first), (int)(parts[1].FileOffset - first), (int)(parts[2].FileOffset - first), total, total);
        }
        int at = 0;
        var at3 = new int[3];
        var reads = new Read[3];
        long end = 0;
        for (int p = 0; p < 3; p++)
        {
            at3[p] = at;
            reads[p] = parts[p] with { SlotOffset = at };
            end = (long)at + parts[p].Length;
            CheckSize(end + PartAlignment);
            at = (int)((end + PartAlignment - 1) / PartAlignment * PartAlignment);
        }
        return new Plan(loc, reads, at3[0], at3[1], at3[2], end, total);
    }

    static void CheckSize(long bytes)
    {
        if (bytes > Array.MaxLength)
            throw new NotSupportedException($"an expert of {ByteSize.Format(bytes)} is larger than one buffer holds ({ByteSize.Format(Array.MaxLength)})");
    }

    readonly record struct Read(int File, long FileOffset, int SlotOffset, int Length);

    sealed record Plan(ExpertLocation Location, Read[] Reads, int GateAt, int UpAt, int DownAt, long Bytes, long ReadBytes);
}
