namespace Switchyard.Routing.Catalog;

/// <summary>
/// Options of the <c>duo-router</c> router (Duo-LLM stage 3, arXiv 2410.10846): a per-layer linear router, hard
/// top-1 over the slots with straight-through gates, and the budget penalty λ·(E[cost] − budget). The paper does
/// not fix λ, its schedule or the estimator at this scale: these defaults are Switchyard's, not verified.
/// <see cref="Skip"/> and <see cref="SlotCosts"/> are not catalog options: the <c>duo</c> block sets them from its
/// <c>skip</c> and <c>costs</c> options.
/// </summary>
public sealed record DuoRouterOptions
{
    /// <summary>Target mean cost per token and layer, in the units of the slot costs (big = 1).</summary>
    public float Budget { get; init; } = 0.5f;

    /// <summary>Initial penalty coefficient λ.</summary>
    public float Lambda { get; init; }

    /// <summary>Dual-ascent rate of λ per optimizer step (0 = λ stays fixed).</summary>
    public float LambdaRate { get; init; } = 1f;

    /// <summary>Whether a skip slot (a null expert) follows the true experts.</summary>
    public bool Skip { get; init; } = true;

    /// <summary>Cost of each slot (true experts, then skip); empty = 1 per true expert and 0 for skip.</summary>
    public IReadOnlyList<float> SlotCosts { get; init; } = [];
}
