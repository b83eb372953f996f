namespace Switchyard.Routing;

/// <summary>A router name that is not in the <see cref="Catalog.RouterCatalog"/>; the message lists the known ones.</summary>
public sealed class UnknownRouterException : SwitchyardException
{
    /// <summary>Creates the exception for <paramref name="name"/>, listing <paramref name="known"/>.</summary>
    public UnknownRouterException(string name, IEnumerable<string> known)
        : base($"unknown router '{name}'; known routers: {string.Join(", ", known)}") => Name = name;

    /// <summary>The name that was asked for.</summary>
    public string Name { get; }
}
