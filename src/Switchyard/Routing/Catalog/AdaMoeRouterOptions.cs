using Switchyard.Routing.Balancers;

namespace Switchyard.Routing.Catalog;

/// <summary>Options of the <c>adamoe</c> router (null experts, arXiv 2406.13233); defaults are the reference Mixtral-8x7B setting.</summary>
public sealed record AdaMoeRouterOptions
{
    /// <summary>Null experts N (reference 16 for 8 true experts).</summary>
    public int NullExperts { get; init; } = 16;

    /// <summary>Slots per token k' over true + null experts (reference 4 where the base model uses 2).</summary>
    public int K { get; init; } = 4;

    /// <summary>Coefficient of the load-balancing loss over all E+N slots (reference 1e-4).</summary>
    public float AuxAlpha { get; init; } = 1e-4f;

    /// <summary>f normalisation of that loss (reference: transformers' Mixtral loss, f = count/T).</summary>
    public LoadBalanceConvention AuxConvention { get; init; } = LoadBalanceConvention.Mixtral;
}
