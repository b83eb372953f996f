using System.Globalization;
using System.Text.Json;

namespace Switchyard.Models;

/// <summary>
/// Reads a block kind's <c>switchyard.block_options</c> object: every key must be one of the block's options,
/// of its type and in its range, else one <see cref="InvalidConfigException"/> naming
/// <c>switchyard.block_options.FIELD</c> and listing every valid option with its default.
/// </summary>
internal sealed class BlockOptionReader
{
    readonly string _block;
    readonly JsonElement? _json;
    readonly (string Name, string Help)[] _valid;

    public BlockOptionReader(string block, JsonElement? json, params (string Name, string Help)[] valid)
    {
        _block = block;
        _json = json;
        _valid = valid;
        if (json is not { } o) return;
        if (o.ValueKind != JsonValueKind.Object) throw Bad("", "an object", o.GetRawText());
        foreach (JsonProperty p in o.EnumerateObject())
            if (!valid.Any(v => v.Name == p.Name)) throw Bad("." + p.Name, "an option of this block", $"unknown option \"{p.Name}\"");
    }

    string Valid => string.Join("; ", _valid.Select(v => $"{v.Name}: {v.Help}"));

    InvalidConfigException Bad(string field, string expected, string found) =>
        new(null, "switchyard.block_options" + field, $"{expected} (block \"{_block}\" options: {Valid})", found);

    bool TryGet(string name, out JsonElement value)
    {
        value = default;
        return _json is { } o && o.TryGetProperty(name, out value);
    }

    public int Int(string name, int fallback, int min, int max = int.MaxValue)
    {
        if (!TryGet(name, out var v)) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i) || i < min || i > max)
            throw Bad("." + name, max == int.MaxValue ? $"an integer ≥ {min}" : $"an integer in [{min}, {max}]", v.GetRawText());
        return i;
    }

    public float Float(string name, float fallback, float min, float max)
    {
        if (!TryGet(name, out var v)) return fallback;
        if (v.ValueKind != JsonValueKind.Number || v.GetDouble() is var x && (x < min || x > max))
            throw Bad("." + name, string.Format(CultureInfo.InvariantCulture, "a number in [{0}, {1}]", min, max), v.GetRawText());
        return (float)v.GetDouble();
    }

    public bool Bool(string name, bool fallback)
    {
        if (!TryGet(name, out var v)) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Bad("." + name, "true or false", v.GetRawText()),
        };
    }
}
