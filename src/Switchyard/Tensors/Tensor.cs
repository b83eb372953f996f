namespace Switchyard.Tensors;

/// <summary>
/// A float32 tensor: contiguous, row-major, explicit shape, stored in a slice of a float
/// array. Tensors made by a <see cref="TensorArena"/> live until the arena is reset.
/// </summary>
public sealed class Tensor
{
    float[] _buffer;
    int _offset;

    /// <summary>The tensor's shape.</summary>
    public Shape Shape { get; private set; }

    /// <summary>Creates a zero-filled tensor with its own storage.</summary>
    public Tensor(Shape shape)
    {
        _buffer = new float[shape.Size];
        Shape = shape;
    }

    /// <summary>Wraps <paramref name="data"/> (not copied) as a tensor of the given shape.</summary>
    /// <exception cref="ShapeMismatchException">The array length is not the shape's size.</exception>
    public Tensor(float[] data, Shape shape)
    {
        if (data.Length != shape.Size)
            throw new ShapeMismatchException("Tensor", $"{shape} ({shape.Size} elements)", $"an array of {data.Length}");
        _buffer = data;
        Shape = shape;
    }

    internal Tensor(float[] buffer, int offset, Shape shape)
    {
        _buffer = buffer;
        _offset = offset;
        Shape = shape;
    }

    /// <summary>Number of elements.</summary>
    public int Length => Shape.Size;

    /// <summary>The elements, row-major.</summary>
    public Span<float> Span => _buffer.AsSpan(_offset, Shape.Size);

    /// <summary>Row <paramref name="r"/> of the tensor viewed as [Rows, Last].</summary>
    public Span<float> Row(int r) => _buffer.AsSpan(_offset + r * Shape.Last, Shape.Last);

    internal float[] Buffer => _buffer;
    internal int Offset => _offset;

    /// <summary>Element access by flat row-major index.</summary>
    public float this[int i]
    {
        get => Span[i];
        set => Span[i] = value;
    }

    /// <summary>A view of the same elements with another shape of equal size (no copy).</summary>
    /// <exception cref="ShapeMismatchException">Sizes differ.</exception>
    public Tensor Reshape(Shape shape)
    {
        ShapeMismatchException.ThrowIf(shape.Size != Shape.Size, "Reshape", Shape, shape);
        return new Tensor(_buffer, _offset, shape);
    }

    /// <summary>A copy with its own storage.</summary>
    public Tensor Clone()
    {
        var t = new Tensor(Shape);
        Span.CopyTo(t.Span);
        return t;
    }

    /// <summary>Elements copied to a new array.</summary>
    public float[] ToArray() => Span.ToArray();

    // Arena recycling: re-point a pooled tensor object at new storage.
    internal void Rebind(float[] buffer, int offset, Shape shape)
    {
        _buffer = buffer;
        _offset = offset;
        Shape = shape;
    }

    /// <inheritdoc/>
    public override string ToString() => $"Tensor{Shape}";
}
