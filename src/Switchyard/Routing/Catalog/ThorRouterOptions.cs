namespace Switchyard.Routing.Catalog;

/// <summary>
/// Options of the <c>thor</c> router (stochastic experts, arXiv 2110.04260). The consistency regulariser is a
/// trainer option (<c>Recipe.ConsistencyAlpha</c>, recipe <c>"consistency": { "alpha": 1 }</c>), not a router option.
/// </summary>
public sealed record ThorRouterOptions
{
    /// <summary>Granularity of the random draw while training (reference: one expert per layer and pass for the whole batch).</summary>
    public RandomGranularity Granularity { get; init; } = RandomGranularity.Batch;

    /// <summary>Granularity when evaluating (reference <c>inference_level</c> 0: per token).</summary>
    public RandomGranularity EvalGranularity { get; init; } = RandomGranularity.Token;
}
