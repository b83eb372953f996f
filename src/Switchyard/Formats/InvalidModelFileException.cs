namespace Switchyard.Formats;

/// <summary>
/// A model file (safetensors, index JSON, GGUF) that breaks its format. The message reads
/// <c>model.safetensors @ 0x8: what was expected, what was found</c>.
/// </summary>
public sealed class InvalidModelFileException : SwitchyardException
{
    /// <summary>Creates the exception for a problem at a byte offset of a file.</summary>
    /// <param name="filePath">The file, as opened; the message shows its file name.</param>
    /// <param name="offset">Byte offset from the start of the file where the problem was found.</param>
    /// <param name="detail">What was expected and what was found.</param>
    public InvalidModelFileException(string filePath, long offset, string detail)
        : base($"{Path.GetFileName(filePath)} @ 0x{offset:X}: {detail}")
    {
        FilePath = filePath;
        Offset = offset;
        Detail = detail;
    }

    /// <summary>The file, as it was opened.</summary>
    public string FilePath { get; }

    /// <summary>Byte offset from the start of the file.</summary>
    public long Offset { get; }

    /// <summary>The message without the file and offset prefix.</summary>
    public string Detail { get; }
}
