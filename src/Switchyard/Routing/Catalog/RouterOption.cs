using System.Globalization;

namespace Switchyard.Routing.Catalog;

/// <summary>Describes one option of a catalog router: name, type, default, range and meaning (what <c>switchyard routers</c> lists).</summary>
public abstract class RouterOption
{
    private protected RouterOption(string name, RouterOptionKind kind, string description, double? min, double? max, bool minExclusive, string[]? choices)
    {
        Name = name; Kind = kind; Description = description; Min = min; Max = max; MinExclusive = minExclusive; Choices = choices ?? [];
    }

    /// <summary>The key used in JSON and <c>key=value</c> strings (snake_case).</summary>
    public string Name { get; }

    /// <summary>The value type.</summary>
    public RouterOptionKind Kind { get; }

    /// <summary>One line saying what the option does.</summary>
    public string Description { get; }

    /// <summary>Smallest allowed value (numbers), or null.</summary>
    public double? Min { get; }

    /// <summary>Largest allowed value (numbers, inclusive), or null.</summary>
    public double? Max { get; }

    /// <summary>Whether <see cref="Min"/> itself is excluded.</summary>
    public bool MinExclusive { get; }

    /// <summary>The allowed names of a <see cref="RouterOptionKind.Choice"/>.</summary>
    public IReadOnlyList<string> Choices { get; }

    /// <summary>The default value as text (invariant culture; booleans lower-case).</summary>
    public abstract string DefaultText { get; }

    /// <summary>Type and range as text, e.g. <c>int ≥ 1</c>, <c>float in (0, 1]</c>, <c>position|score</c>.</summary>
    public string TypeText
    {
        get
        {
            if (Kind == RouterOptionKind.Choice) return string.Join("|", Choices);
            if (Kind == RouterOptionKind.Bool) return "bool";
            string t = Kind == RouterOptionKind.Int ? "int" : "float";
            string F(double v) => v.ToString(CultureInfo.InvariantCulture);
            if (Min is { } lo && Max is { } hi) return $"{t} in {(MinExclusive ? "(" : "[")}{F(lo)}, {F(hi)}]";
            if (Min is { } l) return $"{t} {(MinExclusive ? ">" : "≥")} {F(l)}";
            return t;
        }
    }

    /// <summary><c>name (type, default x)</c>: how error messages list valid options.</summary>
    public override string ToString() => $"{Name} ({TypeText}, default {DefaultText})";

    internal static string Format(object value) => value switch
    {
        bool b => b ? "true" : "false",
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    // Returns null when the value is in range, else why not.
    internal string? RangeError(object value)
    {
        if (Kind == RouterOptionKind.Choice)
            return Choices.Contains((string)value) ? null : $"must be one of {string.Join(", ", Choices)}";
        if (Kind == RouterOptionKind.Bool) return null;
        double v = value is int i ? i : (float)value;
        if (double.IsNaN(v) || double.IsInfinity(v)) return "must be a finite number";
        if (Min is { } lo && (MinExclusive ? v <= lo : v < lo)) return $"must be {TypeText}";
        if (Max is { } hi && v > hi) return $"must be {TypeText}";
        return null;
    }
}
