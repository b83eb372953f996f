using Switchyard.Routing.Balancers;

namespace Switchyard.Routing.Catalog;

/// <summary>
/// Options of the <c>moiie</c> router (intra- and inter-modality experts, arXiv 2508.09779). The pool split is not
/// verified (shared/specs/token-routers.md §13); the default 3 text + 3 task + 2 shared is the spec's CPU experiment for
/// E = 8, the coefficient 0.001 per modality router is the reference conversion's.
/// </summary>
public sealed record MoiieRouterOptions
{
    /// <summary>Experts per token (reference <c>num_experts_per_tok</c> = 2).</summary>
    public int K { get; init; } = 2;

    /// <summary>Intra-modality experts of natural text (the first ones).</summary>
    public int TextExperts { get; init; } = 3;

    /// <summary>Intra-modality experts of the synthetic-task "modality" (next); the remaining E − text − task are shared.</summary>
    public int TaskExperts { get; init; } = 3;

    /// <summary>Load-balancing coefficient, applied per modality pool (reference 0.001 for each router).</summary>
    public float AuxAlpha { get; init; } = 0.001f;

    /// <summary>f normalisation of the per-pool balance loss.</summary>
    public LoadBalanceConvention AuxConvention { get; init; } = LoadBalanceConvention.Switch;

    /// <summary>The modality of tokens without a modality id (inference, padding): <c>text</c> or <c>task</c>.</summary>
    public string Unlabelled { get; init; } = "text";

    /// <summary>Whether a position's modality is that of its input token or of its target.</summary>
    public SideIdSource Ids { get; init; } = SideIdSource.Input;
}
