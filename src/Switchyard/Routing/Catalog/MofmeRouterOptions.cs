using Switchyard.Routing.Balancers;

namespace Switchyard.Routing.Catalog;

/// <summary>
/// Options of the <c>mofme</c> router: MoFME's uncertainty-aware router (arXiv 2312.16610) as an MC-dropout
/// linear scorer with softmax top-k (shared/specs/token-routers.md §12). The paper's UaR internals and its
/// constants are not verified: p, M and k are ours.
/// </summary>
public sealed record MofmeRouterOptions
{
    /// <summary>Experts (FiLM modulations) per token.</summary>
    public int K { get; init; } = 2;

    /// <summary>Renormalise the selected probabilities to sum to 1.</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Dropout probability p on the router input.</summary>
    public float Dropout { get; init; } = 0.1f;

    /// <summary>MC samples M averaged when evaluating.</summary>
    public int Samples { get; init; } = 8;

    /// <summary>MC samples averaged while training (the spec: one).</summary>
    public int TrainSamples { get; init; } = 1;

    /// <summary>Load-balancing loss coefficient α (0 = off).</summary>
    public float AuxAlpha { get; init; } = 0.01f;

    /// <summary>f normalisation of the load-balancing loss.</summary>
    public LoadBalanceConvention AuxConvention { get; init; } = LoadBalanceConvention.Switch;

    /// <summary>Seed of the evaluation masks (evaluation is deterministic for a seed).</summary>
    public int Seed { get; init; }
}
