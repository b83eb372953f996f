using Switchyard.Nn;

namespace Switchyard.Inference;

/// <summary>
/// Reads the tensors a model needs and collects every missing tensor and shape mismatch, so a bad
/// checkpoint fails once, naming all of them (<see cref="CheckpointMismatchException"/>).
/// </summary>
internal sealed class TensorCheck(ICheckpointTensors tensors)
{
    readonly List<string> _missing = [], _shapes = [];

    public ICheckpointTensors Tensors => tensors;

    public bool Contains(string name) => tensors.Contains(name);

    /// <summary>The first of <paramref name="names"/> that exists, or the first when none does.</summary>
    public string FirstExisting(params string[] names)
    {
        foreach (string n in names) if (tensors.Contains(n)) return n;
        return names[0];
    }

    /// <summary><paramref name="name"/> as [rows, cols] (any leading dimensions flattened into rows), or null after recording the problem.</summary>
    public WeightMatrix? Matrix(string name, int rows, int cols)
    {
        if (!tensors.Contains(name)) { _missing.Add(name); return null; }
        IReadOnlyList<int> s = tensors.Shape(name);
        long lead = 1;
        for (int i = 0; i + 1 < s.Count; i++) lead *= s[i];
        if (s.Count < 2 || lead != rows || s[^1] != cols)
        {
            _shapes.Add($"tensor '{name}' has shape [{string.Join(", ", s)}] in the file, the model expects [{rows}, {cols}]");
            return null;
        }
        return tensors.Matrix(name);
    }

    /// <summary>A vector of <paramref name="length"/> values, or empty after recording the problem.</summary>
    public ReadOnlyMemory<float> Vector(string name, int length)
    {
        if (!tensors.Contains(name)) { _missing.Add(name); return default; }
        IReadOnlyList<int> s = tensors.Shape(name);
        if (s.Count != 1 || s[0] != length)
        {
            _shapes.Add($"tensor '{name}' has shape [{string.Join(", ", s)}] in the file, the model expects [{length}]");
            return default;
        }
        return tensors.Vector(name);
    }

    /// <summary>As <see cref="Vector"/>, or empty without complaint when the tensor is absent.</summary>
    public ReadOnlyMemory<float> OptionalVector(string name, int length) => tensors.Contains(name) ? Vector(name, length) : default;

    public bool Failed => _missing.Count > 0 || _shapes.Count > 0;

    public void ThrowIfAny()
    {
        if (Failed) throw new CheckpointMismatchException(tensors.Source, _missing, [], _shapes);
    }
}
