namespace Switchyard.Routing.Catalog;

/// <summary>
/// Options of the <c>duo-random</c> router (Duo-LLM stage 1, arXiv 2410.10846): every token picks a random slot
/// in every layer. <see cref="Skip"/> is not a catalog option: the <c>duo</c> block sets it from its own
/// <c>skip</c> option, so the block's slots and the router's always agree.
/// </summary>
public sealed record DuoRandomRouterOptions
{
    /// <summary>Probability of slot 0 (the big module); the other slots share the rest equally. 0 = uniform over all slots (the paper's default).</summary>
    public float BigFraction { get; init; }

    /// <summary>Whether a skip slot (a null expert: output 0, the residual passes the token on) follows the true experts.</summary>
    public bool Skip { get; init; } = true;
}
