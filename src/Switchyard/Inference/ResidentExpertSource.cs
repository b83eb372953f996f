namespace Switchyard.Inference;

/// <summary>
/// Experts that are all in memory (arrays, or a memory-mapped checkpoint): <see cref="Get"/> returns
/// the stored weights, which stay valid for the source's lifetime.
/// </summary>
public sealed class ResidentExpertSource : IExpertWeightSource
{
    readonly ExpertWeights[]?[] _layers;

    /// <summary>Wraps the experts of each layer (<paramref name="layers"/>[layer][expert]; null for a dense layer).</summary>
    public ResidentExpertSource(IReadOnlyList<IReadOnlyList<ExpertWeights>?> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        _layers = new ExpertWeights[]?[layers.Count];
        for (int l = 0; l < layers.Count; l++)
            if (layers[l] is { } experts) _layers[l] = [.. experts];
    }

    /// <summary>Number of decoder layers (dense ones included).</summary>
    public int Layers => _layers.Length;

    /// <summary>Routed experts of <paramref name="layer"/> (0 for a dense layer).</summary>
    public int ExpertCount(int layer) => _layers[layer]?.Length ?? 0;

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">The layer is dense or the expert does not exist.</exception>
    public ExpertWeights Get(int layer, int expert)
    {
        ExpertWeights[] experts = _layers[layer] ?? throw new ArgumentOutOfRangeException(nameof(layer), layer, "not an MoE layer");
        if ((uint)expert >= (uint)experts.Length) throw new ArgumentOutOfRangeException(nameof(expert), expert, $"layer {layer} has {experts.Length} experts");
        return experts[expert];
    }
}
