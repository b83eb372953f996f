using Switchyard.Autograd;

namespace Switchyard.Routing;

/// <summary>
/// Features → scores per expert: the learned (or fixed) half of a router. The result is a
/// tape <see cref="Var"/> so that gate gradients reach the scorer's parameters.
/// </summary>
public interface IScorer
{
    /// <summary>Number of experts E (columns of the scores).</summary>
    int Experts { get; }

    /// <summary>How the router turns these scores into probabilities.</summary>
    GateActivation Activation { get; }

    /// <summary>Scores (logits) [N, E] for the items <paramref name="x"/> [N, d].</summary>
    Var Score(Tape tape, Var x, RoutingContext context);
}
