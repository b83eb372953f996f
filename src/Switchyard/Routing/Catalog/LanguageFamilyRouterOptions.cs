namespace Switchyard.Routing.Catalog;

/// <summary>Options of the <c>language-family</c> router (ApolloMoE hybrid routing, arXiv 2410.10626); defaults are the reference config's.</summary>
public sealed record LanguageFamilyRouterOptions
{
    /// <summary>Experts per token (reference top-2).</summary>
    public int K { get; init; } = 2;

    /// <summary>Experts tied to languages or to language families (expert = id mod E).</summary>
    public LanguageGroup Group { get; init; } = LanguageGroup.Family;

    /// <summary>Renormalise the chosen probabilities (reference <c>norm_topk_prob = false</c>: raw softmax weights).</summary>
    public bool Normalize { get; init; }

    /// <summary>Load-balancing loss coefficient (reference <c>router_aux_loss_coef</c> = 0.0); 0 = off.</summary>
    public float AuxAlpha { get; init; }
}
