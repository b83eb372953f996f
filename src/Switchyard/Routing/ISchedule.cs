namespace Switchyard.Routing;

/// <summary>
/// A value that depends on the training step (SMoE-Dropout's number of active experts k(t),
/// arXiv 2303.01610). Routing parts read it with <see cref="RoutingContext.Step"/> and
/// <see cref="RoutingContext.TotalSteps"/>, which the trainer sets before every step.
/// </summary>
/// <typeparam name="T">The scheduled value's type.</typeparam>
public interface ISchedule<out T>
{
    /// <summary>The value at <paramref name="step"/> (1-based; 0 = before training) of a run of <paramref name="totalSteps"/> steps (0 = unknown).</summary>
    T At(long step, long totalSteps);
}
