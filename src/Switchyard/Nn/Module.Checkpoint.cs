using Switchyard.Formats;

namespace Switchyard.Nn;

// Save and load: the module's named parameters as float32 safetensors, Hugging Face names.
public abstract partial class Module
{
    /// <summary>
    /// Writes every parameter, under its full name, to a float32 safetensors file at
    /// <paramref name="path"/>, atomically (a crash never leaves a partial file there).
    /// Metadata defaults to <c>{"format": "pt"}</c> as transformers writes.
    /// </summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var named = NamedParameters();
        var entries = new SafeTensorEntry[named.Count];
        for (int i = 0; i < entries.Length; i++) entries[i] = SafeTensorEntry.From(named[i].Name, named[i].Parameter.Value);
        SafeTensors.Write(path, entries, metadata ?? new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>
    /// Reads every parameter from the safetensors file at <paramref name="path"/> (F32, F16 or
    /// BF16 stored; converted to float32). Everything is checked before anything is written,
    /// so a failed load leaves the module unchanged.
    /// </summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="strict">When true (default), missing or unexpected tensors are errors; otherwise they are reported in the result.</param>
    /// <exception cref="CheckpointMismatchException">A shape differs, or (strict) tensors are missing or unexpected.</exception>
    /// <exception cref="InvalidModelFileException">The file is not valid safetensors.</exception>
    public LoadResult Load(string path, bool strict = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = SafeTensors.Open(path);
        var named = NamedParameters();
        var known = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        var shapes = new List<string>();
        foreach (var (name, p) in named)
        {
            known.Add(name);
            if (!file.TryGetInfo(name, out var info)) { missing.Add(name); continue; }
            if (!SameShape(info.Shape, p.Shape))
                shapes.Add($"tensor '{name}' has shape {info.FormatShape()} in the file, the model expects {p.Shape}");
        }
        var unexpected = new List<string>();
        foreach (string name in file.Names)
            if (!known.Contains(name)) unexpected.Add(name);
        if (shapes.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
            throw new CheckpointMismatchException(path, strict ? missing : [], strict ? unexpected : [], shapes);
        foreach (var (name, p) in named)
            if (file.Contains(name)) file.ReadFloat32(name, p.Value.Span);
        return new LoadResult(missing, unexpected);
    }

    static bool SameShape(IReadOnlyList<int> file, Tensors.Shape shape)
    {
        if (file.Count != shape.Rank) return false;
        for (int i = 0; i < file.Count; i++)
            if (file[i] != shape[i]) return false;
        return true;
    }
}
