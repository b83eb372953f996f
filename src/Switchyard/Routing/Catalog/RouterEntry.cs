using System.Text.Json;

namespace Switchyard.Routing.Catalog;

/// <summary>
/// One catalog router: its name (what recipes and <c>--router</c> use), a one-line
/// description, the paper, its typed options with defaults, and a factory.
/// </summary>
public abstract class RouterEntry
{
    private protected RouterEntry(string name, string description, string paper, string arxiv, bool isCausal)
    {
        Name = name; Description = description; Paper = paper; ArXiv = arxiv; IsCausal = isCausal;
    }

    /// <summary>The catalog name, e.g. <c>mixtral</c>.</summary>
    public string Name { get; }

    /// <summary>One line saying what the router does.</summary>
    public string Description { get; }

    /// <summary>Title of the paper the method comes from.</summary>
    public string Paper { get; }

    /// <summary>arXiv id of the paper, e.g. <c>2401.04088</c>.</summary>
    public string ArXiv { get; }

    /// <summary>False for routers whose choice for an item depends on later items (expert choice).</summary>
    public bool IsCausal { get; }

    /// <summary>The options with types, ranges and defaults.</summary>
    public abstract IReadOnlyList<RouterOption> Options { get; }

    /// <summary>The default options record.</summary>
    public abstract object Defaults { get; }

    /// <summary>The options record from a JSON object (missing keys keep their defaults).</summary>
    /// <exception cref="InvalidRouterOptionException">Not an object, an unknown key, a wrong type or a value out of range.</exception>
    public abstract object ParseOptions(JsonElement json);

    /// <summary>The options record from <c>key=value</c> strings (e.g. <c>k=2</c>, <c>drop_policy=score</c>).</summary>
    /// <exception cref="InvalidRouterOptionException">Malformed, unknown, wrong type or out of range.</exception>
    public abstract object ParseOptions(IEnumerable<string> assignments);

    /// <summary>Builds the router for one MoE layer; <paramref name="options"/> null means the defaults.</summary>
    /// <exception cref="InvalidRouterOptionException">An option is out of range for this layer (e.g. k &gt; E).</exception>
    /// <exception cref="ArgumentException">The options record is of another router's type.</exception>
    public abstract Router Create(RouterSetup setup, object? options = null);

    /// <summary>The message suffix listing every valid option.</summary>
    public string ValidOptionsText => Options.Count == 0 ? "this router has no options" : "valid options: " + string.Join("; ", Options);
}
