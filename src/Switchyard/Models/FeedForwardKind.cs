namespace Switchyard.Models;

/// <summary>The feed-forward of one decoder layer.</summary>
public enum FeedForwardKind
{
    /// <summary>One SwiGLU MLP of width <c>intermediate_size</c>.</summary>
    Dense,

    /// <summary>A routed mixture of SwiGLU experts (optionally with shared experts).</summary>
    Moe,
}
