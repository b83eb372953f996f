using Switchyard.Tensors;

namespace Switchyard.Routing;

/// <summary>
/// Scores → assignment: chooses (item, expert) pairs from the probabilities and adds them to
/// a plan (<see cref="RoutingPlan.Add"/>, optionally <see cref="RoutingPlan.SetCapacity"/>).
/// Not differentiable; the router computes the differentiable gates afterwards by <see cref="Gate"/>.
/// </summary>
public interface ISelector
{
    /// <summary>Nominal experts per item (top-k's k; expert choice's capacity factor c). Informational: balancers count actual assignments.</summary>
    int K { get; }

    /// <summary>False when an item's assignment depends on later items of the batch (expert choice): not usable for causal generation.</summary>
    bool IsCausal { get; }

    /// <summary>How the gate weights of the kept assignments are computed.</summary>
    GateSpec Gate { get; }

    /// <summary>
    /// Adds the selected assignments for <paramref name="probabilities"/> [N, E] to
    /// <paramref name="plan"/>, already begun for N items and E experts.
    /// </summary>
    void Select(Tensor probabilities, RoutingContext context, RoutingPlan plan);
}
