using System.Globalization;
using System.Text.Json;

namespace Switchyard.Models;

/// <summary>
/// Reads a conversion's <c>init.options</c> object against a fixed list of keys: an unknown key, a wrong type or a
/// value out of range throws one <see cref="InvalidConfigException"/> naming the field and listing every valid option
/// with its type and default, so a recipe author sees the whole menu in one line.
/// </summary>
internal sealed class ConversionOptions
{
    readonly string _conversion;
    readonly (string Name, string Help)[] _valid;
    readonly Dictionary<string, JsonElement> _values = new(StringComparer.Ordinal);

    /// <summary>Checks <paramref name="options"/> (null = all defaults) for keys outside <paramref name="valid"/>.</summary>
    public ConversionOptions(string conversion, JsonElement? options, params (string Name, string Help)[] valid)
    {
        _conversion = conversion;
        _valid = valid;
        if (options is not { } o || o.ValueKind == JsonValueKind.Null) return;
        if (o.ValueKind != JsonValueKind.Object) throw Bad("init.options", "an object", o.GetRawText());
        foreach (JsonProperty p in o.EnumerateObject())
        {
            if (!valid.Any(v => v.Name == p.Name)) throw Bad($"init.options.{p.Name}", "a known option", $"'{p.Name}'");
            _values[p.Name] = p.Value.Clone();
        }
    }

    /// <summary>Integer option <paramref name="name"/> ≥ <paramref name="min"/>, or <paramref name="fallback"/> when absent.</summary>
    public int Int(string name, int fallback, int min)
    {
        if (!_values.TryGetValue(name, out JsonElement v)) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int i) || i < min)
            throw Bad($"init.options.{name}", $"an integer ≥ {min}", v.GetRawText());
        return i;
    }

    /// <summary>Number option <paramref name="name"/> in [<paramref name="min"/>, <paramref name="max"/>] (exclusive lower bound when asked), or <paramref name="fallback"/>.</summary>
    public double Number(string name, double fallback, double min, double max, bool minExclusive = false)
    {
        if (!_values.TryGetValue(name, out JsonElement v)) return fallback;
        if (v.ValueKind != JsonValueKind.Number || v.GetDouble() is var d && (!double.IsFinite(d) || d < min || (minExclusive && d == min) || d > max))
            throw Bad($"init.options.{name}", $"a number in {(minExclusive ? "(" : "[")}{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}]", v.GetRawText());
        return v.GetDouble();
    }

    /// <summary>String option <paramref name="name"/> among <paramref name="choices"/>, or <paramref name="fallback"/>.</summary>
    public string Choice(string name, string fallback, params string[] choices)
    {
        if (!_values.TryGetValue(name, out JsonElement v)) return fallback;
        if (v.ValueKind != JsonValueKind.String || !choices.Contains(v.GetString()))
            throw Bad($"init.options.{name}", $"one of {string.Join(", ", choices.Select(c => $"\"{c}\""))}", v.GetRawText());
        return v.GetString()!;
    }

    /// <summary>String option <paramref name="name"/> (non-empty), or <paramref name="fallback"/>.</summary>
    public string Text(string name, string fallback)
    {
        if (!_values.TryGetValue(name, out JsonElement v)) return fallback;
        return v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : throw Bad($"init.options.{name}", "a non-empty string", v.GetRawText());
    }

    /// <summary>An error about <paramref name="field"/> that also lists the conversion's valid options.</summary>
    public InvalidConfigException Bad(string field, string expected, string found) =>
        new(null, field, $"{expected} (conversion \"{_conversion}\" takes: {string.Join("; ", _valid.Select(v => $"{v.Name}: {v.Help}"))})", found);
}
