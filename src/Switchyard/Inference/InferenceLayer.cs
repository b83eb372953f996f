namespace Switchyard.Inference;

/// <summary>One decoder layer's weights as the engine uses them (norm vectors, projections, feed-forward).</summary>
internal sealed class InferenceLayer
{
    public required ReadOnlyMemory<float> InputNorm { get; init; }
    public required ReadOnlyMemory<float> PostNorm { get; init; }
    public required WeightMatrix Q { get; init; }
    public required WeightMatrix K { get; init; }
    public required WeightMatrix V { get; init; }
    public required WeightMatrix O { get; init; }
    public ReadOnlyMemory<float> QBias { get; init; }
    public ReadOnlyMemory<float> KBias { get; init; }
    public ReadOnlyMemory<float> VBias { get; init; }
    public ReadOnlyMemory<float> OBias { get; init; }
    public ReadOnlyMemory<float> QNorm { get; init; }
    public ReadOnlyMemory<float> KNorm { get; init; }

    /// <summary>The dense SwiGLU MLP, or null in an MoE layer.</summary>
    public ExpertWeights? Dense { get; init; }

    /// <summary>The MoE block, or null in a dense layer.</summary>
    public InferenceMoe? Moe { get; init; }
}
