namespace Switchyard.Routing;

/// <summary>
/// Which token a per-item side id (<see cref="RoutingContext.ModalityIds"/>, <see cref="RoutingContext.TokenRoles"/>)
/// describes when a router reads it. The trainer's ids label each position's <em>target</em> (the next token); the
/// token being routed is the position's <em>input</em>, whose label is the previous position's.
/// </summary>
public enum SideIdSource
{
    /// <summary>
    /// The label of the token being read: position t uses the id of position t−1 of its sequence (position 0 its own).
    /// Causal: at a switch from one document to the next, the router does not learn the next segment's label from the EOS.
    /// </summary>
    Input,

    /// <summary>The id as given (the label of the predicted token): at a switch it announces the next segment's label one position early.</summary>
    Target,
}
