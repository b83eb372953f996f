namespace Switchyard.Nn.Optim;

/// <summary>
/// Learning rate with linear warmup and cosine decay, as Hugging Face's
/// <c>get_cosine_schedule_with_warmup</c> plus a floor. For the 0-based index s of the step
/// about to be taken, W warmup steps and T total steps:
/// <list type="bullet">
/// <item>s &lt; W: lr = peak·s/W (0 at s = 0);</item>
/// <item>W ≤ s ≤ T: lr = min + (peak − min)·½·(1 + cos(π·(s − W)/(T − W))), so peak at s = W,
/// (peak + min)/2 at s = (W + T)/2 and min at s = T;</item>
/// <item>s &gt; T: lr = min.</item>
/// </list>
/// </summary>
public sealed class WarmupCosineSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="peakLearningRate">Learning rate at the end of warmup.</param>
    /// <param name="warmupSteps">W, number of warmup steps (0 = start at the peak).</param>
    /// <param name="totalSteps">T, the step at which the rate reaches its minimum.</param>
    /// <param name="minLearningRate">Floor reached at step T and kept after it.</param>
    /// <exception cref="ArgumentOutOfRangeException">Negative rates or steps, min above peak, or W &gt; T.</exception>
    public WarmupCosineSchedule(double peakLearningRate, long warmupSteps, long totalSteps, double minLearningRate = 0)
    {
        if (!(peakLearningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(peakLearningRate), peakLearningRate, "must be ≥ 0");
        if (!(minLearningRate >= 0 && minLearningRate <= peakLearningRate))
            throw new ArgumentOutOfRangeException(nameof(minLearningRate), minLearningRate, $"must be in [0, peak = {peakLearningRate}]");
        if (warmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "must be ≥ 0");
        if (totalSteps < warmupSteps) throw new ArgumentOutOfRangeException(nameof(totalSteps), totalSteps, $"must be ≥ warmupSteps = {warmupSteps}");
        PeakLearningRate = peakLearningRate;
        MinLearningRate = minLearningRate;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
    }

    /// <summary>Peak learning rate.</summary>
    public double PeakLearningRate { get; }

    /// <summary>Minimum learning rate.</summary>
    public double MinLearningRate { get; }

    /// <summary>Warmup steps W.</summary>
    public long WarmupSteps { get; }

    /// <summary>Total steps T.</summary>
    public long TotalSteps { get; }

    /// <summary>The learning rate for 0-based step <paramref name="step"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative step.</exception>
    public double At(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "must be ≥ 0");
        if (step < WarmupSteps) return PeakLearningRate * step / WarmupSteps;
        // At and after T the floor holds (also when T = W: there is no decay phase).
        if (step >= TotalSteps) return MinLearningRate;
        double progress = (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
        return MinLearningRate + (PeakLearningRate - MinLearningRate) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    /// <summary>Sets <paramref name="optimizer"/>'s learning rate for its next step (its <see cref="IOptimizer.StepCount"/>).</summary>
    public void Apply(IOptimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        optimizer.LearningRate = (float)At(optimizer.StepCount);
    }
}
