using System.Runtime.CompilerServices;

namespace Switchyard.Tensors;

/// <summary>
/// A tensor shape of rank 0..4, stored inline so that creating one never allocates
/// (a steady-state training step creates many).
/// </summary>
public readonly struct Shape : IEquatable<Shape>
{
    /// <summary>The largest rank a shape can have: batch × heads × sequence × features.</summary>
    public const int MaxRank = 4;

    readonly int _d0, _d1, _d2, _d3;

    /// <summary>Number of dimensions.</summary>
    public int Rank { get; }

    /// <summary>Creates a shape from its dimensions, outermost first.</summary>
    /// <exception cref="ArgumentException">More than <see cref="MaxRank"/> dimensions, or a negative one.</exception>
    public Shape(params ReadOnlySpan<int> dims)
    {
        if (dims.Length > MaxRank)
            throw new ArgumentException($"rank {dims.Length} exceeds the maximum {MaxRank}", nameof(dims));
        long size = 1;
        foreach (int d in dims)
        {
            if (d < 0) throw new ArgumentException($"negative dimension {d} in a shape", nameof(dims));
            size *= d;
            if (size > int.MaxValue) throw new ArgumentException("shape has more than 2^31-1 elements", nameof(dims));
        }
        Rank = dims.Length;
        _d0 = dims.Length > 0 ? dims[0] : 0;
        _d1 = dims.Length > 1 ? dims[1] : 0;
        _d2 = dims.Length > 2 ? dims[2] : 0;
        _d3 = dims.Length > 3 ? dims[3] : 0;
    }

    /// <summary>Dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int this[int axis]
    {
        get
        {
            int a = axis < 0 ? axis + Rank : axis;
            if ((uint)a >= (uint)Rank) throw new ArgumentOutOfRangeException(nameof(axis), axis, $"shape {this} has rank {Rank}");
            return a switch { 0 => _d0, 1 => _d1, 2 => _d2, _ => _d3 };
        }
    }

    /// <summary>Total number of elements (1 for a scalar, including <c>default(Shape)</c>).</summary>
    public int Size
    {
        // Unused dimensions are stored as 0, so default(Shape) equals new Shape() (a scalar).
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Rank switch { 0 => 1, 1 => _d0, 2 => _d0 * _d1, 3 => _d0 * _d1 * _d2, _ => _d0 * _d1 * _d2 * _d3 };
    }

    /// <summary>The last dimension (row length of a row-major tensor); 1 for a scalar.</summary>
    public int Last => Rank == 0 ? 1 : this[Rank - 1];

    /// <summary>Product of all dimensions but the last: the number of rows.</summary>
    public int Rows => Last == 0 ? 0 : Size / Last;

    /// <inheritdoc/>
    public bool Equals(Shape other) =>
        Rank == other.Rank && _d0 == other._d0 && _d1 == other._d1 && _d2 == other._d2 && _d3 == other._d3;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Rank, _d0, _d1, _d2, _d3);

    /// <summary>Shape equality.</summary>
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);

    /// <summary>Shape inequality.</summary>
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    /// <summary>Formats as <c>[2, 3]</c>.</summary>
    public override string ToString()
    {
        Span<int> d = [_d0, _d1, _d2, _d3];
        return "[" + string.Join(", ", d[..Rank].ToArray()) + "]";
    }
}
