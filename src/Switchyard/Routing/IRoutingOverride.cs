namespace Switchyard.Routing;

/// <summary>
/// Forced routing (oracle or ablation experiments): after the selector has chosen and before
/// the plan is finished, rewrites chosen assignments, typically with
/// <see cref="RoutingPlan.Replace"/>. Set on <see cref="RoutingContext.Override"/>.
/// </summary>
public interface IRoutingOverride
{
    /// <summary>Edits the selected assignments of <paramref name="plan"/> for this layer (<see cref="RoutingContext.Layer"/>).</summary>
    void Apply(RoutingContext context, RoutingPlan plan);
}
