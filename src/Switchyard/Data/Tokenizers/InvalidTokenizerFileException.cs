namespace Switchyard.Data.Tokenizers;

/// <summary>
/// A tokenizer file (Hugging Face <c>tokenizer.json</c>, or GGUF tokenizer metadata) that cannot be
/// used: the message names the file, where in it (a JSON path such as <c>$.model.merges[12]</c>, or a
/// metadata key, with a line number for JSON syntax errors) and what was expected and found.
/// </summary>
public sealed class InvalidTokenizerFileException : SwitchyardException
{
    /// <summary>Creates the error for <paramref name="path"/> at <paramref name="location"/>.</summary>
    public InvalidTokenizerFileException(string path, string location, string problem, Exception? inner = null)
        : base(location.Length > 0 ? $"{path}: {location}: {problem}" : $"{path}: {problem}", inner!)
    {
        Path = path;
        Location = location;
    }

    /// <summary>The file (or a description of the in-memory source).</summary>
    public string Path { get; }

    /// <summary>Where in the file: a JSON path (<c>$.model.type</c>), a line, or a metadata key; empty for the file as a whole.</summary>
    public string Location { get; }
}
