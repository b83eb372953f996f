using Switchyard.Routing.Balancers;

namespace Switchyard.Routing.Catalog;

/// <summary>
/// Options of the <c>roma</c> router: the Mixtral-style top-k router plus RoMA's routing-manifold term
/// (<see cref="ManifoldAlignmentLoss"/>, arXiv 2511.07419). λ, k and pooling were not verified from the paper: options.
/// </summary>
public sealed record RomaRouterOptions
{
    /// <summary>Experts per token.</summary>
    public int K { get; init; } = 2;

    /// <summary>Coefficient λ of the manifold term (unverified default 1).</summary>
    public float Lambda { get; init; } = 1f;

    /// <summary>Nearest successful references per sample (unverified default 5).</summary>
    public int Neighbours { get; init; } = 5;

    /// <summary>Width of the bag-of-tokens task embedding (256 = bytes, exact).</summary>
    public int EmbeddingWidth { get; init; } = 256;

    /// <summary>Pool the routing at the last prompt token instead of the mean over the sample's tokens.</summary>
    public bool LastToken { get; init; }

    /// <summary>Load-balancing loss coefficient (Mixtral convention, as the <c>mixtral</c> router).</summary>
    public float AuxAlpha { get; init; } = 0.001f;
}
