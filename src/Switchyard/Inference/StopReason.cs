namespace Switchyard.Inference;

/// <summary>Why generation ended.</summary>
public enum StopReason
{
    /// <summary>The maximum number of new tokens was generated.</summary>
    MaxTokens,

    /// <summary>A stop token was sampled (it is not part of the output).</summary>
    StopToken,

    /// <summary>The per-token callback asked to stop.</summary>
    Callback,

    /// <summary>The KV cache (the model's context) is full.</summary>
    ContextFull,
}
