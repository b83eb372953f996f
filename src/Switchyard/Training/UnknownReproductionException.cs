namespace Switchyard.Training;

/// <summary>A <c>switchyard reproduce</c> name with no <c>reproduce-&lt;name&gt;.json</c>; the message lists the valid names.</summary>
public sealed class UnknownReproductionException : SwitchyardException
{
    /// <summary>Creates the exception for <paramref name="name"/>, listing <paramref name="known"/>.</summary>
    public UnknownReproductionException(string name, IEnumerable<string> known, string directory)
        : base($"unknown reproduction '{name}'; valid names: {string.Join(", ", known)} (reproduce-<name>.json in {directory})") => Name = name;

    /// <summary>The name that was asked for.</summary>
    public string Name { get; }
}
