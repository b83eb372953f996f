namespace Switchyard.Inference;

/// <summary>A <c>--model</c> path that is not a loadable model: missing, or a folder without <c>config.json</c> or weights.</summary>
public sealed class ModelNotFoundException : SwitchyardException
{
    /// <summary>Creates the exception for <paramref name="path"/> with what is wrong and what was expected.</summary>
    public ModelNotFoundException(string path, string detail) : base($"{path}: {detail}") => Path = path;

    /// <summary>The path given.</summary>
    public string Path { get; }
}
