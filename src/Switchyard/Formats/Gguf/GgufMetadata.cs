using System.Collections;

namespace Switchyard.Formats.Gguf;

/// <summary>The metadata of a GGUF file: key/value pairs in file order, keys unique, with lookup by key.</summary>
public sealed class GgufMetadata : IReadOnlyList<KeyValuePair<string, GgufValue>>
{
    readonly KeyValuePair<string, GgufValue>[] _entries;
    readonly long[] _offsets;
    readonly Dictionary<string, int> _index;

    internal GgufMetadata(KeyValuePair<string, GgufValue>[] entries, long[] offsets, Dictionary<string, int> index)
    {
        _entries = entries;
        _offsets = offsets;
        _index = index;
    }

    /// <inheritdoc/>
    public int Count => _entries.Length;

    /// <inheritdoc/>
    public KeyValuePair<string, GgufValue> this[int index] => _entries[index];

    /// <summary>The keys in file order.</summary>
    public IEnumerable<string> Keys => _entries.Select(e => e.Key);

    /// <summary>Whether the key is present.</summary>
    public bool ContainsKey(string key) => _index.ContainsKey(key);

    /// <summary>Looks a value up by key.</summary>
    public bool TryGet(string key, out GgufValue value)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_index.TryGetValue(key, out int i))
        {
            value = _entries[i].Value;
            return true;
        }
        value = null!;
        return false;
    }

    /// <summary>The value of <paramref name="key"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such key.</exception>
    public GgufValue this[string key] => TryGet(key, out GgufValue v) ? v : throw new KeyNotFoundException($"no metadata key '{key}'");

    /// <summary>Absolute file offset where the entry of <paramref name="key"/> starts (for error messages), or -1 when absent.</summary>
    public long OffsetOf(string key) => _index.TryGetValue(key, out int i) ? _offsets[i] : -1;

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, GgufValue>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, GgufValue>>)_entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
