namespace Switchyard.Routing.Catalog;

/// <summary>Options of the <c>hash</c> router.</summary>
public sealed record HashRouterOptions
{
    /// <summary>Frequency-balanced assignment (needs <see cref="RouterSetup.TokenCounts"/>) instead of a random hash.</summary>
    public bool Balanced { get; init; }

    /// <summary>Seed of the random hash.</summary>
    public int Seed { get; init; }
}
