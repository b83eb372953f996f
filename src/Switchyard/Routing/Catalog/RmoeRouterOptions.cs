using Switchyard.Routing.Balancers;

namespace Switchyard.Routing.Catalog;

/// <summary>Options of the <c>rmoe</c> router (layerwise recurrent router, arXiv 2408.06793); defaults are the reference config's.</summary>
public sealed record RmoeRouterOptions
{
    /// <summary>Experts per token (reference: top-2).</summary>
    public int K { get; init; } = 2;

    /// <summary>Recurrent size p (reference <c>moe_router_rnn_hidden_size</c> = 256; the spec's CPU experiment uses 64).</summary>
    public int Hidden { get; init; } = 256;

    /// <summary>Renormalise the selected probabilities to sum to 1.</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Load-balancing loss coefficient (reference 0.001).</summary>
    public float AuxAlpha { get; init; } = 0.001f;

    /// <summary>f normalisation of the load-balancing loss (the reference is Mixtral-based: f per token).</summary>
    public LoadBalanceConvention AuxConvention { get; init; } = LoadBalanceConvention.Mixtral;
}
