namespace Switchyard.Inference;

/// <summary>
/// Keys and values of every attention layer for one sequence: per layer two float32 buffers
/// [capacity, kvHeads, headDim], allocated once. Keys are stored after RoPE. <see cref="Length"/>
/// tokens are filled; a forward pass appends its tokens at position <see cref="Length"/>.
/// </summary>
public sealed class KvCache
{
    readonly float[][] _keys, _values;

    /// <summary>Allocates the cache for <paramref name="layers"/> layers of <paramref name="capacity"/> positions.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public KvCache(int layers, int capacity, int kvHeads, int headDim)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kvHeads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(headDim);
        Layers = layers;
        Capacity = capacity;
        KvHeads = kvHeads;
        HeadDim = headDim;
        long size = (long)capacity * kvHeads * headDim;
        if (size > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"{capacity} positions × {kvHeads} × {headDim} exceed one array");
        _keys = new float[layers][];
        _values = new float[layers][];
        for (int l = 0; l < layers; l++)
        {
            _keys[l] = new float[size];
            _values[l] = new float[size];
        }
    }

    /// <summary>Number of layers.</summary>
    public int Layers { get; }

    /// <summary>Positions the cache holds.</summary>
    public int Capacity { get; }

    /// <summary>Key/value heads per position.</summary>
    public int KvHeads { get; }

    /// <summary>Width of a head.</summary>
    public int HeadDim { get; }

    /// <summary>Positions filled so far (the position of the next token).</summary>
    public int Length { get; private set; }

    /// <summary>Bytes the cache occupies.</summary>
    public long ByteLength => 2L * Layers * Capacity * KvHeads * HeadDim * sizeof(float);

    /// <summary>Forgets every position (the buffers are kept).</summary>
    public void Reset() => Length = 0;

    /// <summary>Layer <paramref name="layer"/>'s keys, [capacity, kvHeads, headDim].</summary>
    public Span<float> Keys(int layer) => _keys[layer];

    /// <summary>Layer <paramref name="layer"/>'s values, [capacity, kvHeads, headDim].</summary>
    public Span<float> Values(int layer) => _values[layer];

    /// <summary>Marks <paramref name="tokens"/> more positions filled (the engine does after each pass).</summary>
    /// <exception cref="InvalidOperationException">The cache would overflow.</exception>
    internal void Advance(int tokens)
    {
        if (tokens > Capacity - Length) throw Full(tokens);
        Length += tokens;
    }

    internal InvalidOperationException Full(int tokens) =>
        new($"the KV cache holds {Capacity} positions; {Length} are used and {tokens} more do not fit");
}
