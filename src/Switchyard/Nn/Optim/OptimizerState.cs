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
