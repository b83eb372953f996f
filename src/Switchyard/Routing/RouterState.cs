using Switchyard.Autograd;

namespace Switchyard.Routing;

/// <summary>
/// Routing state threaded through the layer stack of one forward pass (recurrent routers
/// carry a hidden state; plan-reuse methods route once for all layers). Owned by the model,
/// reset per batch; scorers that need none ignore it.
/// </summary>
public sealed class RouterState
{
    /// <summary>A hidden state a scorer carries to the next layer (e.g. a GRU router), [N, h]; valid until the tape is reset.</summary>
    public Var? Hidden { get; set; }

    /// <summary>The previous MoE layer's plan, for routers that condition on or reuse it.</summary>
    public RoutingPlan? PreviousPlan { get; set; }

    /// <summary>
    /// Scores computed once per pass and reused by every later layer's router (Read-ME's pre-gating router: routing
    /// decided from the token ids before the backbone runs), [N, E]; valid until the tape is reset.
    /// </summary>
    public Var? SharedScores { get; set; }

    /// <summary>
    /// The queries and keys of the attention block just before the MoE layer being routed (set by the decoder layer
    /// each pass), for routers that use the attention graph; null outside a decoder model's forward pass.
    /// </summary>
    public AttentionInputs? Attention { get; set; }

    /// <summary>Clears the state at the start of a forward pass.</summary>
    public void Reset()
    {
        Hidden = null;
        PreviousPlan = null;
        SharedScores = null;
        Attention = null;
    }
}
