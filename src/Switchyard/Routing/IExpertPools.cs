namespace Switchyard.Routing;

/// <summary>
/// Splits the items of a routing call into pools by side information (modality, token role) and says which experts
/// each pool may use: the candidate mask that MoIIE's intra/inter-modality routing and ProMoE's role split apply
/// before the softmax (<see cref="Scorers.ModalityLinearScorer"/>, <see cref="Scorers.PrototypeCosineScorer"/>),
/// that <see cref="Selectors.MaskedTopKSelector"/> selects within and that <see cref="Balancers.GroupedSwitchAux"/>
/// balances per pool. Every pool allows at least one expert.
/// </summary>
public interface IExpertPools
{
    /// <summary>Number of pools P (pool ids 0..P−1).</summary>
    int Pools { get; }

    /// <summary>Number of experts E the masks cover.</summary>
    int Experts { get; }

    /// <summary>Display name of pool <paramref name="pool"/> (statistics, docs).</summary>
    string PoolName(int pool);

    /// <summary>Whether an item of pool <paramref name="pool"/> may be routed to <paramref name="expert"/>.</summary>
    bool Allows(int pool, int expert);

    /// <summary>Number of experts pool <paramref name="pool"/> allows (≥ 1).</summary>
    int AllowedCount(int pool);

    /// <summary>
    /// Pool of item <paramref name="item"/> of the call, from the context's side ids. Items without an id (no ids on
    /// the context, or a negative id such as padding) fall into a fixed pool chosen by the implementation, never an error.
    /// </summary>
    int PoolOf(RoutingContext context, int item);
}
