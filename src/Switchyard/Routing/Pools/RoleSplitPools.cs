namespace Switchyard.Routing.Pools;

/// <summary>
/// ProMoE's conditional routing adapted to language models (arXiv 2510.24711, shared/specs/token-routers.md §8): tokens
/// of one deterministic role (<see cref="RoutingContext.TokenRoles"/>, e.g. a task's prompt) are hard-routed to the
/// last <see cref="Dedicated"/> experts (pool 1); every other token is routed among the first E − Dedicated experts
/// (pool 0) — the analogue of CFG's unconditional tokens going to unconditional experts. With no hard role there is
/// one pool of all experts.
/// </summary>
/// <remarks>Tokens without a role id (no ids, or a negative one) are never hard-routed: they are routed normally.</remarks>
public sealed class RoleSplitPools : IExpertPools
{
    readonly string _roleName;

    /// <summary>Creates the split.</summary>
    /// <param name="experts">All experts E.</param>
    /// <param name="dedicated">Experts reserved for the hard role (0 when <paramref name="hardRole"/> is negative).</param>
    /// <param name="hardRole">Role id hard-routed to the dedicated experts, or −1 for none.</param>
    /// <param name="roleName">Its name (statistics).</param>
    /// <param name="source">Whether a position's role is read from its input token or its target.</param>
    /// <exception cref="ArgumentException">No routed expert would remain, or dedicated experts without a hard role (or the reverse).</exception>
    public RoleSplitPools(int experts, int dedicated, int hardRole, string roleName = "role", SideIdSource source = SideIdSource.Input)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        ArgumentOutOfRangeException.ThrowIfNegative(dedicated);
        if (hardRole < 0 && dedicated != 0) throw new ArgumentException("dedicated experts need a hard-routed role", nameof(dedicated));
        if (hardRole >= 0 && dedicated == 0) throw new ArgumentException("a hard-routed role needs at least one dedicated expert", nameof(dedicated));
        if (dedicated >= experts) throw new ArgumentException($"{dedicated} dedicated experts leave none of the {experts} to route", nameof(dedicated));
        Experts = experts;
        Dedicated = dedicated;
        HardRole = hardRole;
        Source = source;
        _roleName = roleName;
    }

    /// <summary>Pool id of the routed tokens.</summary>
    public const int Routed = 0;

    /// <summary>Pool id of the hard-routed tokens.</summary>
    public const int HardRouted = 1;

    /// <inheritdoc/>
    public int Pools => HardRole < 0 ? 1 : 2;

    /// <inheritdoc/>
    public int Experts { get; }

    /// <summary>Experts reserved for the hard role: the last ones.</summary>
    public int Dedicated { get; }

    /// <summary>The hard-routed role id, or −1.</summary>
    public int HardRole { get; }

    /// <summary>Where a position's role id is read from.</summary>
    public SideIdSource Source { get; }

    /// <inheritdoc/>
    public string PoolName(int pool) => pool == Routed ? "routed" : _roleName;

    /// <inheritdoc/>
    public bool Allows(int pool, int expert) => (expert >= Experts - Dedicated) == (pool == HardRouted) && (uint)expert < (uint)Experts;

    /// <inheritdoc/>
    public int AllowedCount(int pool) => pool == HardRouted ? Dedicated : Experts - Dedicated;

    /// <inheritdoc/>
    public int PoolOf(RoutingContext context, int item)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (HardRole < 0) return Routed;
        return SideIds.Read(context.TokenRoles, item, context.SequenceLength, Source) == HardRole ? HardRouted : Routed;
    }
}
