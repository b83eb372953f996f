namespace Switchyard.Inference;

/// <summary>Sizes an <see cref="InferenceModel"/> preallocates its buffers for.</summary>
public sealed record InferenceOptions
{
    /// <summary>Longest sequence (prompt plus generated tokens) a cache holds; null = min(max_position_embeddings, 4096).</summary>
    public int? MaxContext { get; init; }

    /// <summary>Tokens per forward pass during prefill: longer prompts run in chunks of this many.</summary>
    public int PrefillChunk { get; init; } = 256;
}
