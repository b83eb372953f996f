using Switchyard.Routing.Balancers;

namespace Switchyard.Routing.Catalog;

/// <summary>
/// Options of the <c>dynamic-dino</c> router (Dynamic-DINO MoE-tuning, arXiv 2507.17436): softmax top-k over a
/// linear gate, weights renormalised over the k and multiplied by a scale, so that k equally likely experts each
/// weigh 1 and a dense FFN split into k slices is reproduced (<see cref="Models.MoeFication"/>). Defaults follow
/// shared/specs/token-routers.md §18a's CPU experiment (g = 4 slices, k = g); the paper's exact values are not verified.
/// </summary>
public sealed record DynamicDinoRouterOptions
{
    /// <summary>Experts per token k (= the granularity g of the MoE-fication).</summary>
    public int K { get; init; } = 4;

    /// <summary>Multiplier on the renormalised weights; 0 = k (each of k equal weights becomes 1: the dense-equivalent init).</summary>
    public float GateScale { get; init; }

    /// <summary>Load-balancing loss coefficient α ("standard balance loss", Switch convention by default); 0 = off.</summary>
    public float AuxAlpha { get; init; } = 0.01f;

    /// <summary>f normalisation of the load-balancing loss.</summary>
    public LoadBalanceConvention AuxConvention { get; init; } = LoadBalanceConvention.Switch;

    /// <summary>The scale in effect: <see cref="GateScale"/>, or k when it is 0.</summary>
    public float EffectiveScale => GateScale > 0 ? GateScale : K;
}
