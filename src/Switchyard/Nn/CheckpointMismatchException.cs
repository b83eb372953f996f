namespace Switchyard.Nn;

/// <summary>
/// A checkpoint's tensors do not fit a module: tensors the module needs are missing, tensors
/// it does not know are present (strict loads), or shapes differ. The message names every
/// problem tensor, with both shapes for a mismatch.
/// </summary>
public sealed class CheckpointMismatchException : SwitchyardException
{
    /// <summary>Creates the exception for <paramref name="path"/> and the problems found.</summary>
    public CheckpointMismatchException(string path, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected,
        IReadOnlyList<string> shapeMismatches)
        : base(Format(path, missing, unexpected, shapeMismatches))
    {
        Path = path;
        Missing = missing;
        Unexpected = unexpected;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>The checkpoint file.</summary>
    public string Path { get; }

    /// <summary>Names the module has and the file lacks.</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>Names the file has and the module lacks.</summary>
    public IReadOnlyList<string> Unexpected { get; }

    /// <summary>One description per tensor whose shapes differ: name, file shape, module shape.</summary>
    public IReadOnlyList<string> ShapeMismatches { get; }

    static string Format(string path, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> shapes)
    {
        var parts = new List<string>();
        if (shapes.Count > 0) parts.Add(string.Join("; ", shapes));
        if (missing.Count > 0) parts.Add($"missing tensors: {string.Join(", ", missing)}");
        if (unexpected.Count > 0) parts.Add($"unexpected tensors: {string.Join(", ", unexpected)}");
        return $"{path}: checkpoint does not match the model: {string.Join("; ", parts)}";
    }
}
