namespace Switchyard.Routing.Catalog;

/// <summary>The type of a router option's value.</summary>
public enum RouterOptionKind
{
    /// <summary>A 32-bit integer.</summary>
    Int,

    /// <summary>A float.</summary>
    Float,

    /// <summary>true or false.</summary>
    Bool,

    /// <summary>One of a fixed set of names.</summary>
    Choice,
}
