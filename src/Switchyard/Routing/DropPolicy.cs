namespace Switchyard.Routing;

/// <summary>Which assignments an over-capacity expert keeps (shared/specs/baselines.md §4).</summary>
public enum DropPolicy
{
    /// <summary>
    /// Earlier items first (GShard/Switch): every item's first choice before any second
    /// choice, then by item index (position in the flattened batch).
    /// </summary>
    Position,

    /// <summary>Highest selection score first ("batch prioritized routing", V-MoE); ties to the earlier item.</summary>
    Score,
}
