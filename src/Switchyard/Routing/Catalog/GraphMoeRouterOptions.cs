namespace Switchyard.Routing.Catalog;

/// <summary>
/// Options of the graph-of-tokens routers <c>similarity-moe</c> and <c>attention-moe</c> (arXiv 2505.00792). The paper's
/// similarity parameterisation, head handling and renormalisation were not verified (no public code located):
/// they are options, with the spec's suggestions as defaults.
/// </summary>
public sealed record GraphMoeRouterOptions
{
    /// <summary>Experts per token (the paper's baselines are top-1/top-2 SMoE).</summary>
    public int K { get; init; } = 2;

    /// <summary>Renormalise the selected P̃ values to sum to 1 (the spec's "(renormalised) P̃").</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Similarity projection width d_s (spec: 64).</summary>
    public int ProjDim { get; init; } = 64;

    /// <summary>Similarity softmax temperature τ; 0 = √d_s (spec).</summary>
    public float Tau { get; init; }

    /// <summary>How the attention graph combines heads: <c>mean</c> (spec default; the only one implemented).</summary>
    public string HeadReduction { get; init; } = "mean";

    /// <summary>Use the attention graph as a constant (no routing gradient into the attention's q/k).</summary>
    public bool DetachAttention { get; init; }

    /// <summary>Load-balancing loss coefficient on P̃ (Switch convention); 0 = off.</summary>
    public float AuxAlpha { get; init; } = 0.01f;
}
