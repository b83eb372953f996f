using Switchyard.Autograd;

namespace Switchyard.Routing;

/// <summary>
/// Keeps experts used and routing stable: auxiliary losses (returned as tape Vars, already
/// multiplied by their coefficient), state updates after the optimizer step (bias
/// balancing), and its entries in the <see cref="RoutingStatistics"/>.
/// </summary>
public interface IBalancer
{
    /// <summary>Short name used in statistics and metrics (e.g. <c>load_balance</c>, <c>z_loss</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Called once per routing call after the plan is finished. Returns the coefficient-weighted
    /// auxiliary loss (a scalar Var) or null when this balancer adds none; records the raw value
    /// and coefficient in <paramref name="statistics"/>.
    /// </summary>
    Var? Loss(Tape tape, in BalancerInput input, RoutingStatistics statistics);

    /// <summary>Called by the trainer after each optimizer step (bias updates). Default: nothing.</summary>
    void AfterOptimizerStep() { }
}
