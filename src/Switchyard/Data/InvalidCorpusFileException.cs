namespace Switchyard.Data;

/// <summary>A corpus file that cannot be read: the message names the file, the line and what was expected.</summary>
public sealed class InvalidCorpusFileException : SwitchyardException
{
    /// <summary>Creates the error for <paramref name="path"/> at 1-based <paramref name="line"/> (0: the file as a whole).</summary>
    public InvalidCorpusFileException(string path, int line, string problem, Exception? inner = null)
        : base(line > 0 ? $"{path}:{line}: {problem}" : $"{path}: {problem}", inner!)
    {
        Path = path;
        Line = line;
    }

    /// <summary>The file (or embedded resource name).</summary>
    public string Path { get; }

    /// <summary>1-based line number, or 0 when the problem concerns the whole file.</summary>
    public int Line { get; }
}
