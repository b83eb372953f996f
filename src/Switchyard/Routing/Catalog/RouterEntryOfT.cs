using System.Globalization;
using System.Text.Json;

namespace Switchyard.Routing.Catalog;

/// <summary>A catalog router whose options are the record <typeparamref name="TOptions"/>.</summary>
public sealed class RouterEntry<TOptions> : RouterEntry where TOptions : class
{
    readonly RouterOption<TOptions>[] _options;
    readonly TOptions _defaults;
    readonly Func<RouterSetup, TOptions, Router> _factory;
    readonly Func<RouterSetup, TOptions, (string Option, string Why)?> _check;

    internal RouterEntry(string name, string description, string paper, string arxiv, bool isCausal, TOptions defaults,
        Func<TOptions, RouterOption<TOptions>[]> options, Func<RouterSetup, TOptions, Router> factory,
        Func<RouterSetup, TOptions, (string Option, string Why)?>? check = null)
        : base(name, description, paper, arxiv, isCausal)
    {
        _defaults = defaults;
        _options = options(defaults);
        _factory = factory;
        _check = check ?? ((_, _) => null);
    }

    /// <inheritdoc/>
    public override IReadOnlyList<RouterOption> Options => _options;

    /// <summary>The default options.</summary>
    public TOptions DefaultOptions => _defaults;

    /// <inheritdoc/>
    public override object Defaults => _defaults;

    /// <inheritdoc/>
    public override object ParseOptions(JsonElement json) => Parse(json);

    /// <inheritdoc/>
    public override object ParseOptions(IEnumerable<string> assignments) => Parse(assignments);

    /// <summary>Typed <see cref="RouterEntry.ParseOptions(JsonElement)"/>.</summary>
    public TOptions Parse(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object)
            throw Error("", $"router '{Name}': options must be a JSON object, found {json.ValueKind}");
        TOptions o = _defaults;
        foreach (JsonProperty p in json.EnumerateObject())
        {
            RouterOption<TOptions> opt = Find(p.Name);
            object? v = opt.Kind switch
            {
                RouterOptionKind.Int => p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out int i) ? i : null,
                RouterOptionKind.Float => p.Value.ValueKind == JsonValueKind.Number ? (float)p.Value.GetDouble() : null,
                RouterOptionKind.Bool => p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False ? p.Value.GetBoolean() : null,
                _ => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null,
            };
            o = Assign(o, opt, v, p.Value.GetRawText());
        }
        return o;
    }

    /// <summary>Typed <see cref="RouterEntry.ParseOptions(IEnumerable{string})"/>.</summary>
    public TOptions Parse(IEnumerable<string> assignments)
    {
        ArgumentNullException.ThrowIfNull(assignments);
        TOptions o = _defaults;
        foreach (string a in assignments)
        {
            int eq = a.IndexOf('=');
            if (eq <= 0) throw Error(a, $"router '{Name}': '{a}' is not key=value; {ValidOptionsText}");
            string key = a[..eq].Trim(), text = a[(eq + 1)..].Trim();
            RouterOption<TOptions> opt = Find(key);
            object? v = opt.Kind switch
            {
                RouterOptionKind.Int => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i) ? i : null,
                RouterOptionKind.Float => float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) ? f : null,
                RouterOptionKind.Bool => bool.TryParse(text, out bool b) ? b : null,
                _ => text,
            };
            o = Assign(o, opt, v, text);
        }
        return o;
    }

    /// <inheritdoc/>
    public override Router Create(RouterSetup setup, object? options = null)
    {
        ArgumentNullException.ThrowIfNull(setup);
        TOptions o = options switch
        {
            null => _defaults,
            TOptions t => t,
            _ => throw new ArgumentException($"router '{Name}' takes {typeof(TOptions).Name}, not {options.GetType().Name}", nameof(options)),
        };
        foreach (RouterOption<TOptions> opt in _options)
        {
            object v = opt.Get(o);
            if (opt.RangeError(v) is { } why)
                throw Error(opt.Name, $"router '{Name}': option '{opt.Name}' = {RouterOption.Format(v)} {why}; {ValidOptionsText}");
        }
        if (_check(setup, o) is { } bad)
            throw Error(bad.Option, $"router '{Name}': option '{bad.Option}' {bad.Why}; {ValidOptionsText}");
        return _factory(setup, o);
    }

    RouterOption<TOptions> Find(string key)
    {
        foreach (var opt in _options) if (opt.Name == key) return opt;
        throw Error(key, $"router '{Name}': unknown option '{key}'; {ValidOptionsText}");
    }

    TOptions Assign(TOptions o, RouterOption<TOptions> opt, object? value, string text)
    {
        if (value is null)
            throw Error(opt.Name, $"router '{Name}': option '{opt.Name}' expects {opt.TypeText}, found {text}; {ValidOptionsText}");
        if (opt.RangeError(value) is { } why)
            throw Error(opt.Name, $"router '{Name}': option '{opt.Name}' = {text} {why}; {ValidOptionsText}");
        return opt.Set(o, value);
    }

    InvalidRouterOptionException Error(string option, string message) => new(Name, option, message);
}
