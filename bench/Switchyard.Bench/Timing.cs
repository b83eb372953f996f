using System.Diagnostics;

namespace Switchyard.Bench;

/// <summary>Warm-up, then the median of timed repetitions (the median shrugs off a preempted run on a shared machine).</summary>
internal static class Timing
{
    // BENCH_STAT=min: the fastest repetition, for tuning on a busy machine (others only slow runs down).
    static readonly bool UseMin = Environment.GetEnvironmentVariable("BENCH_STAT") == "min";

    /// <summary>Median seconds per call of <paramref name="action"/>.</summary>
    public static double MedianSeconds(Action action, double targetSeconds = 0.4, int minReps = 5, int maxReps = 60)
    {
        // Warm-up: JIT tiers (tier-0 → OSR → tier-1 takes a few dozen calls), packing buffers, caches.
        var sw = Stopwatch.StartNew();
        int warm = 0;
        while (warm < 3 || (warm < 30 && sw.Elapsed.TotalSeconds < 0.15)) { action(); warm++; }
        double first = sw.Elapsed.TotalSeconds / warm;
        int reps = (int)Math.Clamp(Math.Ceiling(targetSeconds / Math.Max(first, 1e-9)), minReps, maxReps);
        var times = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            if (CpuTime.Enabled)
            {
                double c0 = CpuTime.ThreadSeconds();
                action();
                times[r] = CpuTime.ThreadSeconds() - c0;
                continue;
            }
            long t0 = Stopwatch.GetTimestamp();
            action();
            times[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        Array.Sort(times);
        if (UseMin) return times[0];
        return reps % 2 == 1 ? times[reps / 2] : 0.5 * (times[reps / 2 - 1] + times[reps / 2]);
    }
}
