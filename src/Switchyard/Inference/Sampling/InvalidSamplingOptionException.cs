namespace Switchyard.Inference;

/// <summary>
/// A sampling option out of range (e.g. a negative temperature or top-p above 1). The message
/// names the option and the value found, and lists every option's valid range.
/// </summary>
public sealed class InvalidSamplingOptionException : SwitchyardException
{
    /// <summary>The valid ranges, appended to every message.</summary>
    public const string ValidRanges =
        "Valid: temperature ≥ 0 (0 = greedy), top-k ≥ 0 (0 = off), top-p in (0, 1] (1 = off), min-p in [0, 1] (0 = off).";

    /// <summary>Creates the exception for <paramref name="option"/> = <paramref name="value"/>.</summary>
    public InvalidSamplingOptionException(string option, string value, string rule)
        : base($"Sampling option {option} = {value} is invalid: {rule}. {ValidRanges}")
    {
        Option = option;
    }

    /// <summary>The offending option (temperature, top-k, top-p or min-p).</summary>
    public string Option { get; }
}
