namespace Switchyard.Inference;

/// <summary>What <see cref="Generator.Generate"/> produced, and how fast.</summary>
/// <param name="Tokens">The generated ids (without the prompt, without a final stop token).</param>
/// <param name="PromptTokens">Prompt length.</param>
/// <param name="PromptSeconds">Wall time of the prefill pass (including sampling the first token).</param>
/// <param name="DecodeSeconds">Wall time of the single-token decode steps.</param>
/// <param name="DecodeSteps">Number of single-token decode steps run.</param>
/// <param name="Reason">Why generation ended.</param>
public sealed record GenerationResult(int[] Tokens, int PromptTokens, double PromptSeconds, double DecodeSeconds, int DecodeSteps, StopReason Reason)
{
    /// <summary>Prompt tokens per second of prefill.</summary>
    public double PromptTokensPerSecond => PromptSeconds > 0 ? PromptTokens / PromptSeconds : 0;

    /// <summary>Decoded tokens per second (single-token steps only).</summary>
    public double DecodeTokensPerSecond => DecodeSeconds > 0 ? DecodeSteps / DecodeSeconds : 0;
}
