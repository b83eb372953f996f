using System.Globalization;

namespace Switchyard.Inference;

/// <summary>
/// How <see cref="Sampler"/> picks the next token from logits. The defaults sample the model's
/// own distribution (temperature 1, no truncation); <see cref="Greedy"/> takes the argmax.
/// Values are validated on construction and in <c>with</c> expressions.
/// </summary>
/// <param name="Temperature">Divides the logits; 0 means greedy (argmax, ties → lower id). ≥ 0, finite.</param>
/// <param name="TopK">Keep the k most likely tokens (ties → lower id); 0 = off. ≥ 0.</param>
/// <param name="TopP">Keep the smallest most-likely-first prefix whose probability mass reaches p (nucleus); 1 = off. In (0, 1].</param>
/// <param name="MinP">Drop tokens less likely than MinP × the most likely one; 0 = off. In [0, 1].</param>
/// <param name="Seed">Seed of the sampler's random stream: the same seed and logits give the same tokens.</param>
/// <exception cref="InvalidSamplingOptionException">A value is out of range.</exception>
public sealed record SamplingOptions(float Temperature = 1f, int TopK = 0, float TopP = 1f, float MinP = 0f, ulong Seed = 0)
{
    /// <summary>Argmax decoding (temperature 0).</summary>
    public static SamplingOptions Greedy { get; } = new(Temperature: 0f);

    readonly float _temperature = CheckTemperature(Temperature);
    readonly int _topK = CheckTopK(TopK);
    readonly float _topP = CheckTopP(TopP);
    readonly float _minP = CheckMinP(MinP);

    /// <summary>Divides the logits; 0 means greedy (argmax, ties → lower id).</summary>
    public float Temperature { get => _temperature; init => _temperature = CheckTemperature(value); }

    /// <summary>Keep the k most likely tokens; 0 = off.</summary>
    public int TopK { get => _topK; init => _topK = CheckTopK(value); }

    /// <summary>Nucleus mass to keep; 1 = off.</summary>
    public float TopP { get => _topP; init => _topP = CheckTopP(value); }

    /// <summary>Minimum probability relative to the most likely token; 0 = off.</summary>
    public float MinP { get => _minP; init => _minP = CheckMinP(value); }

    /// <summary>Whether sampling reduces to argmax (temperature 0 or top-k 1): no random draw is made.</summary>
    public bool IsGreedy => _temperature == 0f || _topK == 1;

    static float CheckTemperature(float v) => v >= 0f && float.IsFinite(v) ? v
        : throw new InvalidSamplingOptionException("temperature", Format(v), "it must be a finite number ≥ 0");

    static int CheckTopK(int v) => v >= 0 ? v
        : throw new InvalidSamplingOptionException("top-k", v.ToString(CultureInfo.InvariantCulture), "it must be ≥ 0");

    static float CheckTopP(float v) => v > 0f && v <= 1f ? v
        : throw new InvalidSamplingOptionException("top-p", Format(v), "it must be in (0, 1]");

    static float CheckMinP(float v) => v >= 0f && v <= 1f ? v
        : throw new InvalidSamplingOptionException("min-p", Format(v), "it must be in [0, 1]");

    static string Format(float v) => v.ToString("R", CultureInfo.InvariantCulture);
}
