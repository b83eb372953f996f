namespace Switchyard.Routing.Catalog;

/// <summary>
/// Options of the <c>promoe</c> router (ProMoE adapted to language models, arXiv 2510.24711). The paper's constants
/// are not verified (shared/specs/token-routers.md §8): τ, the RCL and aux coefficients and the role split are options.
/// </summary>
public sealed record ProMoeRouterOptions
{
    /// <summary>Experts per routed token.</summary>
    public int K { get; init; } = 2;

    /// <summary>Temperature τ of the cosine scores and of the RCL (cosine needs one: its range is [−1, 1]).</summary>
    public float Tau { get; init; } = 0.1f;

    /// <summary>Routing contrastive loss coefficient (0 = off).</summary>
    public float RclAlpha { get; init; } = 0.01f;

    /// <summary>Switch load-balancing coefficient over the routed tokens only (0 = off).</summary>
    public float AuxAlpha { get; init; } = 0.01f;

    /// <summary>
    /// The role hard-routed to dedicated experts (<c>none</c>, <c>text</c>, <c>prompt</c>, <c>answer</c>: the ids of the
    /// data's role labels). Default <c>prompt</c>: a task's prompt is the LM analogue of CFG's unconditional branch — tokens
    /// that are read but never scored — while answers (and natural text) get prototypical routing.
    /// </summary>
    public string HardRole { get; init; } = "prompt";

    /// <summary>Experts dedicated to the hard role (the last ones); ignored with <c>hard_role = none</c>.</summary>
    public int RoleExperts { get; init; } = 1;

    /// <summary>Whether a position's role is that of its input token or of its target.</summary>
    public SideIdSource Ids { get; init; } = SideIdSource.Input;
}
