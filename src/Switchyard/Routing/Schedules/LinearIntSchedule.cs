namespace Switchyard.Routing.Schedules;

/// <summary>
/// SMoE-Dropout's <c>linear_increase</c> (reference code, VITA-Group/Random-MoE-as-Dropout):
/// <c>k(t) = round((end − start)·t / T) + start</c>, held at <c>end</c> from step T on. T is
/// <see cref="Steps"/>, or the run's total steps when that is 0; round half to even as Python's
/// <c>round</c>. With end &lt; start it decreases (the paper's <c>linear_decrease</c> ablation).
/// </summary>
public sealed class LinearIntSchedule : ISchedule<int>
{
    /// <summary>Creates the schedule from <paramref name="start"/> to <paramref name="end"/> over <paramref name="steps"/> steps (0 = the whole run).</summary>
    /// <exception cref="ArgumentOutOfRangeException">steps &lt; 0.</exception>
    public LinearIntSchedule(int start, int end, long steps = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        Start = start;
        End = end;
        Steps = steps;
    }

    /// <summary>The value at step 0.</summary>
    public int Start { get; }

    /// <summary>The value from step T on.</summary>
    public int End { get; }

    /// <summary>Steps T of the ramp; 0 = the run's total steps.</summary>
    public long Steps { get; }

    /// <inheritdoc/>
    public int At(long step, long totalSteps)
    {
        long t = Steps > 0 ? Steps : totalSteps;
        if (t <= 0) return step > 0 ? End : Start; // no length known: a finished ramp once training has begun
        if (step >= t) return End;
        if (step <= 0) return Start;
        return (int)Math.Round((double)(End - Start) * step / t, MidpointRounding.ToEven) + Start;
    }
}
