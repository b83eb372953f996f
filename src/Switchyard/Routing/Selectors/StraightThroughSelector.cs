using Switchyard.Tensors;

namespace Switchyard.Routing.Selectors;

/// <summary>
/// Another selector's choices with straight-through gates (<see cref="GateWeighting.StraightThrough"/>):
/// each chosen expert's output enters at weight 1 while the language-model loss still reaches the router
/// through ∂w/∂p = 1/p. Duo-LLM's trained routers (arXiv 2410.10846) make a hard top-1 choice among
/// big / small / skip whose forward must equal the random-routing model's (weight 1), so the usual
/// w = p (Switch) would shrink every module's output.
/// </summary>
/// <param name="inner">The selector that chooses (e.g. top-1 over all slots, null experts included).</param>
public sealed class StraightThroughSelector(ISelector inner) : ISelector
{
    readonly ISelector _inner = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <summary>The selector that chooses.</summary>
    public ISelector Inner => _inner;

    /// <inheritdoc/>
    public int K => _inner.K;

    /// <inheritdoc/>
    public bool IsCausal => _inner.IsCausal;

    /// <inheritdoc/>
    public GateSpec Gate => new(GateWeighting.StraightThrough);

    /// <inheritdoc/>
    public void Select(Tensor probabilities, RoutingContext context, RoutingPlan plan) => _inner.Select(probabilities, context, plan);
}
