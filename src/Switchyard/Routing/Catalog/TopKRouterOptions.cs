using Switchyard.Routing.Balancers;

namespace Switchyard.Routing.Catalog;

/// <summary>Options of the softmax top-k routers (<c>top-k</c>, <c>switch</c>, <c>gshard</c>, <c>mixtral</c>); each entry has its own defaults.</summary>
public sealed record TopKRouterOptions
{
    /// <summary>Experts per token k (≤ E).</summary>
    public int K { get; init; } = 2;

    /// <summary>Renormalise the selected probabilities to sum to 1 (HF <c>norm_topk_prob</c>).</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Capacity factor; 0 = dropless (Switchyard's default, MegaBlocks).</summary>
    public float CapacityFactor { get; init; }

    /// <summary>Which assignments an over-capacity expert keeps.</summary>
    public DropPolicy DropPolicy { get; init; } = DropPolicy.Position;

    /// <summary>Renormalise the kept weights of a token that lost an assignment.</summary>
    public bool RenormalizeAfterDrop { get; init; }

    /// <summary>Switch input jitter ε (training only); 0 = off.</summary>
    public float Jitter { get; init; }

    /// <summary>Shazeer noisy gating (training only).</summary>
    public bool Noisy { get; init; }

    /// <summary>Load-balancing loss coefficient α; 0 = off.</summary>
    public float AuxAlpha { get; init; } = 0.01f;

    /// <summary>How f is normalised in the load-balancing loss.</summary>
    public LoadBalanceConvention AuxConvention { get; init; } = LoadBalanceConvention.Switch;

    /// <summary>Router z-loss coefficient β; 0 = off.</summary>
    public float ZBeta { get; init; } = 0.001f;
}
