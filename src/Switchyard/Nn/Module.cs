namespace Switchyard.Nn;

/// <summary>
/// A layer or model: named parameters and named child modules. Names follow Hugging Face
/// (PyTorch <c>state_dict</c>) conventions, so <see cref="NamedParameters"/> yields
/// <c>model.layers.0.self_attn.q_proj.weight</c> and checkpoints map 1:1.
/// </summary>
/// <remarks>
/// Order is PyTorch's: a module's own parameters in registration order, then each child's,
/// depth first in registration order. It is stable, so optimizer state and checkpoints line
/// up across runs.
/// </remarks>
public abstract partial class Module
{
    readonly List<Parameter> _parameters = [];
    readonly List<(string Name, Module Child)> _children = [];

    /// <summary>This module's own parameters, in registration order.</summary>
    public IReadOnlyList<Parameter> OwnParameters => _parameters;

    /// <summary>This module's direct children with their local names, in registration order.</summary>
    public IReadOnlyList<(string Name, Module Child)> Children => _children;

    /// <summary>Registers <paramref name="parameter"/> as this module's own and returns it.</summary>
    /// <exception cref="ArgumentException">The name is already used by a parameter or child of this module.</exception>
    protected Parameter AddParameter(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        EnsureFree(parameter.Name);
        _parameters.Add(parameter);
        return parameter;
    }

    /// <summary>Registers <paramref name="child"/> under <paramref name="name"/> and returns it.</summary>
    /// <exception cref="ArgumentException">The name is invalid or already used in this module.</exception>
    protected T AddModule<T>(string name, T child) where T : Module
    {
        ArgumentNullException.ThrowIfNull(child);
        ValidateLocalName(name, nameof(name));
        EnsureFree(name);
        if (ReferenceEquals(child, this)) throw new ArgumentException("a module cannot contain itself", nameof(child));
        _children.Add((name, child));
        return child;
    }

    /// <summary>
    /// Replaces the direct child named <paramref name="name"/> with <paramref name="child"/>
    /// (e.g. a projection by its LoRA-wrapped version), keeping its position in the order.
    /// </summary>
    /// <exception cref="ArgumentException">No child has that name, or the owner does not accept the replacement.</exception>
    public void ReplaceChild(string name, Module child)
    {
        ArgumentNullException.ThrowIfNull(child);
        int i = _children.FindIndex(c => c.Name == name);
        if (i < 0) throw new ArgumentException($"{GetType().Name} has no child named '{name}'", nameof(name));
        OnChildReplaced(name, child);
        _children[i] = (name, child);
    }

    /// <summary>
    /// Lets a module update the field that holds child <paramref name="name"/> when it is
    /// replaced; throw <see cref="ArgumentException"/> to refuse. The default refuses.
    /// </summary>
    protected virtual void OnChildReplaced(string name, Module child) =>
        throw new ArgumentException($"{GetType().Name} does not support replacing its child '{name}'", nameof(child));

    /// <summary>Every parameter with its full dotted name, in the stable order described above; a shared parameter appears once.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters()
    {
        var list = new List<(string, Parameter)>();
        Collect("", list, new HashSet<Parameter>(ReferenceEqualityComparer.Instance));
        return list;
    }

    /// <summary>Every parameter, in the same order as <see cref="NamedParameters"/>.</summary>
    public IReadOnlyList<Parameter> Parameters()
    {
        var named = NamedParameters();
        var list = new Parameter[named.Count];
        for (int i = 0; i < list.Length; i++) list[i] = named[i].Parameter;
        return list;
    }

    /// <summary>This module and every descendant with its dotted path ("" for this one), depth first.</summary>
    public IReadOnlyList<(string Name, Module Module)> NamedModules()
    {
        var list = new List<(string, Module)>();
        CollectModules("", list);
        return list;
    }

    /// <summary>Total number of scalar parameters.</summary>
    public long ParameterCount()
    {
        long n = 0;
        foreach (var (_, p) in NamedParameters()) n += p.Value.Length;
        return n;
    }

    /// <summary>Zeroes the gradient of every parameter.</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.ZeroGrad();
        foreach (var (_, c) in _children) c.ZeroGrad();
    }

    /// <summary>Marks every parameter trainable or frozen.</summary>
    public void SetTrainable(bool trainable)
    {
        foreach (var (_, p) in NamedParameters()) p.Trainable = trainable;
    }

    void Collect(string prefix, List<(string, Parameter)> list, HashSet<Parameter> seen)
    {
        // A parameter shared by two modules (tied embeddings) is listed once, under its first
        // name, as PyTorch's named_parameters(remove_duplicate=True).
        foreach (var p in _parameters)
            if (seen.Add(p)) list.Add((prefix + p.Name, p));
        foreach (var (name, child) in _children) child.Collect(prefix + name + ".", list, seen);
    }

    void CollectModules(string path, List<(string, Module)> list)
    {
        list.Add((path, this));
        foreach (var (name, child) in _children) child.CollectModules(path.Length == 0 ? name : path + "." + name, list);
    }

    void EnsureFree(string name)
    {
        foreach (var p in _parameters)
            if (p.Name == name) throw new ArgumentException($"{GetType().Name} already has a parameter named '{name}'", nameof(name));
        foreach (var (n, _) in _children)
            if (n == name) throw new ArgumentException($"{GetType().Name} already has a child named '{name}'", nameof(name));
    }

    internal static void ValidateLocalName(string name, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, paramName);
        if (name.Contains('.')) throw new ArgumentException($"local name '{name}' must not contain '.'", paramName);
    }
}
