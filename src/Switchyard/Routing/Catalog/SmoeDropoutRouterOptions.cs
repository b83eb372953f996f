namespace Switchyard.Routing.Catalog;

/// <summary>Options of the <c>smoe-dropout</c> router (arXiv 2303.01610): a frozen random router whose k grows during training.</summary>
public sealed record SmoeDropoutRouterOptions
{
    /// <summary>k at the start of training; 0 = E/2 (the reference scripts: 8 of 16, 2 of 4).</summary>
    public int KMin { get; init; }

    /// <summary>k at the end of the ramp; 0 = E (dense at the end).</summary>
    public int KMax { get; init; }

    /// <summary>Steps of the linear ramp; 0 = the whole run (reference: T_sched = total steps).</summary>
    public int ScheduleSteps { get; init; }

    /// <summary>k when evaluating ("self-slimming"); 0 = the schedule's value at the current step.</summary>
    public int EvalK { get; init; }
}
