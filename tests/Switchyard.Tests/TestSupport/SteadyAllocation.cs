namespace Switchyard.Tests.TestSupport;

/// <summary>Bytes a warmed-up piece of work allocates on the calling thread in its steady state.</summary>
internal static class SteadyAllocation
{
    /// <summary>
    /// The fewest bytes any of up to <paramref name="rounds"/> rounds of <paramref name="repeats"/> calls allocated.
    /// The runtime may allocate on the thread once while it re-compiles a hot method (tiering); work that allocates
    /// per call allocates in every round, so the quietest round is its steady state.
    /// </summary>
    public static long Bytes(Action work, int repeats = 3, int rounds = 3)
    {
        long least = long.MaxValue;
        for (int round = 0; round < rounds && least != 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < repeats; i++) work();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }
}
