using System.Globalization;
using Switchyard.Formats;
using Switchyard.Tensors;

namespace Switchyard.Nn.Optim;

/// <summary>
/// An optimizer's resumable state: which optimizer, how many steps, and its per-parameter
/// buffers named <c>{parameter}.{buffer}</c> with PyTorch's buffer names
/// (<c>exp_avg</c>, <c>exp_avg_sq</c>, <c>momentum_buffer</c>).
/// </summary>
/// <param name="Kind">Optimizer name, e.g. <c>adamw</c> or <c>sgd</c>.</param>
/// <param name="Step">Steps taken.</param>
/// <param name="Buffers">Per-parameter buffers by name, flat float32.</param>
public sealed record OptimizerState(string Kind, long Step, IReadOnlyDictionary<string, float[]> Buffers)
{
    /// <summary>
    /// Writes the state to a safetensors file, atomically: one flat F32 tensor per buffer
    /// (sorted by name), kind and step in the metadata (<c>optimizer</c>, <c>step</c>).
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var names = Buffers.Keys.Order(StringComparer.Ordinal).ToArray();
        var entries = new SafeTensorEntry[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            float[] b = Buffers[names[i]];
            entries[i] = new SafeTensorEntry(names[i], new Shape(b.Length), TensorDType.F32, b);
        }
        SafeTensors.Write(path, entries, new Dictionary<string, string>
        {
            ["optimizer"] = Kind,
            ["step"] = Step.ToString(CultureInfo.InvariantCulture),
        });
    }

    /// <summary>Reads a state written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidModelFileException">Not valid safetensors, or the optimizer metadata is absent or malformed.</exception>
    public static OptimizerState Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = SafeTensors.Open(path);
        if (!file.Metadata.TryGetValue("optimizer", out var kind))
            throw new InvalidModelFileException(path, 8, "metadata: no 'optimizer' entry; not an optimizer state file");
        if (!file.Metadata.TryGetValue("step", out var stepText)
            || !long.TryParse(stepText, NumberStyles.None, CultureInfo.InvariantCulture, out long step))
            throw new InvalidModelFileException(path, 8, $"metadata: 'step' must be a non-negative integer, found '{stepText}'");
        var buffers = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var info in file.Tensors)
        {
            var b = new float[info.ElementCount];
            file.ReadFloat32(info.Name, b);
            buffers[info.Name] = b;
        }
        return new OptimizerState(kind, step, buffers);
    }

    internal void CheckKind(string expected)
    {
        if (Kind != expected) throw new SwitchyardException($"optimizer state is for '{Kind}', cannot import it into '{expected}'");
        if (Step < 0) throw new SwitchyardException($"optimizer state has a negative step count {Step}");
    }

    internal float[] Get(string name, int length)
    {
        if (!Buffers.TryGetValue(name, out var b))
            throw new SwitchyardException($"optimizer state '{Kind}' lacks buffer '{name}'");
        if (b.Length != length)
            throw new SwitchyardException($"optimizer state buffer '{name}': expected {length} elements, found {b.Length}");
        return b;
    }

    internal void CheckNoExtra(int expectedCount, IEnumerable<string> expectedNames)
    {
        if (Buffers.Count == expectedCount) return;
        var known = new HashSet<string>(expectedNames);
        var extra = Buffers.Keys.Where(k => !known.Contains(k)).Order(StringComparer.Ordinal);
        throw new SwitchyardException($"optimizer state '{Kind}' has unexpected buffers: {string.Join(", ", extra)}");
    }
}
