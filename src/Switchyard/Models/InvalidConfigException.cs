namespace Switchyard.Models;

/// <summary>
/// A model configuration (<c>config.json</c>) with a missing, mistyped or inconsistent field. The
/// message reads <c>config.json: num_key_value_heads: expected a divisor of num_attention_heads (32), found 5</c>.
/// </summary>
public sealed class InvalidConfigException : SwitchyardException
{
    /// <summary>Creates the exception for <paramref name="field"/> of the configuration read from <paramref name="filePath"/>.</summary>
    /// <param name="filePath">The file the configuration came from, or null for one built in code.</param>
    /// <param name="field">The JSON field name (snake_case, as in the file), dotted inside the <c>switchyard</c> object.</param>
    /// <param name="expected">What a valid value looks like.</param>
    /// <param name="found">What the file holds.</param>
    public InvalidConfigException(string? filePath, string field, string expected, string found)
        : base($"{(filePath is null ? "config" : Path.GetFileName(filePath))}: {field}: expected {expected}, found {found}")
    {
        FilePath = filePath;
        Field = field;
        Expected = expected;
        Found = found;
    }

    /// <summary>The file, or null for a configuration built in code.</summary>
    public string? FilePath { get; }

    /// <summary>The offending field.</summary>
    public string Field { get; }

    /// <summary>What a valid value looks like.</summary>
    public string Expected { get; }

    /// <summary>What was found.</summary>
    public string Found { get; }
}
