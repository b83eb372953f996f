namespace Switchyard.Routing.Catalog;

/// <summary>Options of the <c>sigmoid-bias</c> router (DeepSeek-V3).</summary>
public sealed record SigmoidBiasRouterOptions
{
    /// <summary>Experts per token k (≤ E).</summary>
    public int K { get; init; } = 2;

    /// <summary>Normalise the selected affinities to sum to 1 (DeepSeek-V3: true).</summary>
    public bool Normalize { get; init; } = true;

    /// <summary><c>routed_scaling_factor</c> on the weights (DeepSeek-V3 2.5; default 1).</summary>
    public float ScalingFactor { get; init; } = 1f;

    /// <summary>Bias update rate γ; 0 = no bias balancing.</summary>
    public float Gamma { get; init; } = 0.001f;

    /// <summary>Sequence-wise auxiliary loss coefficient α; 0 = off.</summary>
    public float SeqAlpha { get; init; } = 1e-4f;

    /// <summary>Expert groups for group-limited routing (<c>n_group</c>); 1 = off.</summary>
    public int Groups { get; init; } = 1;

    /// <summary>Groups kept per token (<c>topk_group</c>).</summary>
    public int TopGroups { get; init; } = 1;
}
