namespace Switchyard.Inference;

/// <summary>A size the user wrote (a flag such as <c>--memory 8GiB</c>) that <see cref="ByteSize.Parse"/> cannot read.</summary>
public sealed class InvalidByteSizeException : SwitchyardException
{
    /// <summary>Creates the exception for <paramref name="text"/>, with why it was rejected.</summary>
    public InvalidByteSizeException(string text, string why)
        : base($"'{text}' is not a size: {why}; write a number with an optional unit: 123456, 512MB, 1.5G, 8GiB "
            + "(B; KB MB GB TB = powers of 1000; KiB MiB GiB TiB and K M G T = powers of 1024)")
    {
        Text = text;
    }

    /// <summary>The text that was rejected.</summary>
    public string Text { get; }
}
