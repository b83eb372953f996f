namespace Switchyard.Routing.Catalog;

/// <summary>Options of the <c>expert-choice</c> router.</summary>
public sealed record ExpertChoiceRouterOptions
{
    /// <summary>Capacity factor c: each expert takes ceil(N·c/E) tokens (paper default 2).</summary>
    public float CapacityFactor { get; init; } = 2f;

    /// <summary>Router z-loss coefficient β; 0 = off (the paper uses no auxiliary loss).</summary>
    public float ZBeta { get; init; }
}
