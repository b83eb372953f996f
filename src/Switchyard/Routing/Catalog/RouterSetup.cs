using Switchyard.Tensors;

namespace Switchyard.Routing.Catalog;

/// <summary>What a catalog factory needs besides the options: the layer's sizes and a random source for initial weights.</summary>
/// <param name="ModelDim">Width d of the routed features.</param>
/// <param name="Experts">Number of routed experts E (the expert set owns shared experts; the router only needs E and k).</param>
/// <param name="Rng">Source of initial router weights (deterministic).</param>
public sealed record RouterSetup(int ModelDim, int Experts, Rng Rng)
{
    /// <summary>Token frequencies of the training corpus (indexed by token id), for frequency-balanced hash routing.</summary>
    public ReadOnlyMemory<long> TokenCounts { get; init; }
}
