namespace Switchyard.Routing.Catalog;

/// <summary>A router option bound to its options record: reads and sets (with <c>with</c>) one property.</summary>
/// <typeparam name="TOptions">The options record.</typeparam>
public sealed class RouterOption<TOptions> : RouterOption where TOptions : class
{
    readonly Func<TOptions, object> _get;
    readonly Func<TOptions, object, TOptions> _set;
    readonly TOptions _defaults;

    internal RouterOption(string name, RouterOptionKind kind, string description, TOptions defaults,
        Func<TOptions, object> get, Func<TOptions, object, TOptions> set,
        double? min = null, double? max = null, bool minExclusive = false, string[]? choices = null)
        : base(name, kind, description, min, max, minExclusive, choices)
    {
        _get = get; _set = set; _defaults = defaults;
    }

    /// <inheritdoc/>
    public override string DefaultText => Format(_get(_defaults));

    /// <summary>The option's value in <paramref name="options"/>.</summary>
    public object Get(TOptions options) => _get(options);

    /// <summary>A copy of <paramref name="options"/> with this option set to <paramref name="value"/> (int, float, bool or choice name).</summary>
    public TOptions Set(TOptions options, object value) => _set(options, value);
}
