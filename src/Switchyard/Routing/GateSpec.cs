namespace Switchyard.Routing;

/// <summary>How a selector's gate weights are computed from the probabilities (see <see cref="GateWeighting"/>).</summary>
/// <param name="Weighting">The weighting rule.</param>
/// <param name="Scale">Multiplier on every weight (DeepSeek-V3 <c>routed_scaling_factor</c>; 1 otherwise).</param>
/// <param name="RenormalizeAfterDrop">For <see cref="GateWeighting.Normalized"/>: normalise over the experts kept after capacity instead of all selected ones (default false, as Switch/GShard).</param>
public readonly record struct GateSpec(GateWeighting Weighting, float Scale = 1f, bool RenormalizeAfterDrop = false);
