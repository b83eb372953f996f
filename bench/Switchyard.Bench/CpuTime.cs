using System.Runtime.InteropServices;

namespace Switchyard.Bench;

/// <summary>
/// CPU time of the calling thread (Linux clock_gettime). On a machine shared with other work,
/// single-threaded timings in CPU time do not count the slices the scheduler gave to others;
/// set BENCH_CLOCK=thread-cpu to use it (meaningful for threads = 1 only).
/// </summary>
internal static partial class CpuTime
{
    const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    struct TimeSpec { public long Seconds; public long Nanoseconds; }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("BENCH_CLOCK") == "thread-cpu" && OperatingSystem.IsLinux();

    public static double ThreadSeconds()
    {
        ClockGetTime(ClockThreadCpuTimeId, out TimeSpec t);
        return t.Seconds + t.Nanoseconds * 1e-9;
    }
}
