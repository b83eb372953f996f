namespace Switchyard.Nn;

/// <summary>
/// An indexed list of child modules named <c>0</c>, <c>1</c>, …, as PyTorch's
/// <c>nn.ModuleList</c>: the Hugging Face <c>model.layers.N</c> level.
/// </summary>
/// <typeparam name="T">The element module type.</typeparam>
public sealed class ModuleList<T> : Module where T : Module
{
    readonly List<T> _items = [];

    /// <summary>Creates an empty list.</summary>
    public ModuleList() { }

    /// <summary>Creates a list holding <paramref name="items"/> in order.</summary>
    public ModuleList(IEnumerable<T> items)
    {
        foreach (var m in items) Add(m);
    }

    /// <summary>Number of modules.</summary>
    public int Count => _items.Count;

    /// <summary>Module <paramref name="index"/>.</summary>
    public T this[int index] => _items[index];

    /// <summary>Appends <paramref name="module"/> under the next index and returns it.</summary>
    public T Add(T module)
    {
        AddModule(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        _items.Add(module);
        return module;
    }
}
