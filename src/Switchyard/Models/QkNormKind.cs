namespace Switchyard.Models;

/// <summary>Whether and how queries and keys are RMS-normalised before RoPE.</summary>
public enum QkNormKind
{
    /// <summary>No q/k norm (Llama, Mixtral, Qwen2, Granite).</summary>
    None,

    /// <summary>
    /// One RMS norm of width head_dim shared by every head (Qwen3, Qwen3-MoE): <c>q_norm.weight</c> [head_dim].
    /// </summary>
    PerHead,

    /// <summary>
    /// One RMS norm over the whole projection (OLMoE): <c>q_norm.weight</c> [heads·head_dim],
    /// <c>k_norm.weight</c> [kv_heads·head_dim].
    /// </summary>
    FullProjection,
}
