namespace Switchyard.Tensors;

/// <summary>
/// Per-step storage for activations and gradients. A step allocates from the arena and
/// calls <see cref="Reset"/> at its end; from the second step of the same shape on, no
/// managed allocation happens, because both the float slabs and the <see cref="Tensor"/>
/// objects are reused. Tensors handed out before a reset must not be used after it.
/// </summary>
public sealed class TensorArena
{
    // Slabs grow geometrically; after Reset the next step reuses them in order.
    readonly List<float[]> _slabs = [];
    readonly List<Tensor> _tensors = [];
    int _slab, _used, _tensorCount;
    readonly int _minSlab;

    /// <summary>Creates an empty arena whose first slab holds at least <paramref name="minSlabFloats"/> floats.</summary>
    public TensorArena(int minSlabFloats = 1 << 20) => _minSlab = Math.Max(1024, minSlabFloats);

    /// <summary>Floats reserved across all slabs.</summary>
    public long CapacityFloats { get { long c = 0; foreach (var s in _slabs) c += s.Length; return c; } }

    /// <summary>A tensor of the given shape; zero-filled unless <paramref name="zero"/> is false.</summary>
    public Tensor Allocate(Shape shape, bool zero = true)
    {
        int n = shape.Size;
        // Align each tensor to 16 floats (64 bytes) so SIMD rows start on cache lines.
        int need = (n + 15) & ~15;
        while (_slab < _slabs.Count && _used + need > _slabs[_slab].Length)
        {
            _slab++;
            _used = 0;
        }
        if (_slab == _slabs.Count)
        {
            long last = _slabs.Count == 0 ? 0 : _slabs[^1].Length;
            _slabs.Add(GC.AllocateUninitializedArray<float>((int)Math.Min(Array.MaxLength, Math.Max(Math.Max(_minSlab, need), last * 2)), pinned: true));
            _used = 0;
        }
        float[] slab = _slabs[_slab];
        int offset = _used;
        _used += need;
        Tensor t;
        if (_tensorCount < _tensors.Count) { t = _tensors[_tensorCount]; t.Rebind(slab, offset, shape); }
        else { t = new Tensor(slab, offset, shape); _tensors.Add(t); }
        _tensorCount++;
        if (zero) t.Span.Clear();
        return t;
    }

    /// <summary>A view of <paramref name="source"/>'s elements with another shape, without a new tensor object after warm-up.</summary>
    public Tensor View(Tensor source, Shape shape)
    {
        ShapeMismatchException.ThrowIf(shape.Size != source.Length, "View", source.Shape, shape);
        Tensor t;
        if (_tensorCount < _tensors.Count) { t = _tensors[_tensorCount]; t.Rebind(source.Buffer, source.Offset, shape); }
        else { t = new Tensor(source.Buffer, source.Offset, shape); _tensors.Add(t); }
        _tensorCount++;
        return t;
    }

    /// <summary>Releases every tensor handed out since the last reset; storage is kept for reuse.</summary>
    public void Reset()
    {
        _slab = 0;
        _used = 0;
        _tensorCount = 0;
    }
}
