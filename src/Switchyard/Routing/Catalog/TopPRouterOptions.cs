namespace Switchyard.Routing.Catalog;

/// <summary>Options of the <c>top-p</c> router (dynamic top-p routing, arXiv 2403.07652); defaults are the paper's.</summary>
public sealed record TopPRouterOptions
{
    /// <summary>Probability-mass threshold p in (0, 1] (paper 0.4).</summary>
    public float P { get; init; } = 0.4f;

    /// <summary>Most experts per token (0 = E, the paper).</summary>
    public int MaxK { get; init; }

    /// <summary>Coefficient β of the router-entropy (dynamic) loss (paper 1e-4); 0 = off, the "without L_d" ablation.</summary>
    public float EntropyBeta { get; init; } = 1e-4f;

    /// <summary>Load-balancing loss coefficient α (paper 1e-2), f counting every dispatched assignment.</summary>
    public float AuxAlpha { get; init; } = 0.01f;
}
