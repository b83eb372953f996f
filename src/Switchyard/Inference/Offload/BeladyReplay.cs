namespace Switchyard.Inference;

/// <summary>
/// The fewest misses any cache of a given slot count can have on a recorded trace (Belady's MIN:
/// evict the entry whose next use is farthest away). A lower bound to judge online policies and
/// predictive caches against (shared/specs, Part C1).
/// </summary>
public static class BeladyReplay
{
    /// <summary>Replays <paramref name="trace"/> with the offline-optimal policy over <paramref name="slots"/> slots.</summary>
    /// <param name="trace">(layer, expert) requests in order.</param>
    /// <param name="slots">Experts resident at once (at least 1).</param>
    /// <param name="expertBytes">Bytes one miss reads.</param>
    public static CacheReplayResult Replay(IReadOnlyList<ExpertKey> trace, int slots, long expertBytes = 0) =>
        CacheSimulator.Replay(new BeladyPolicy(trace), trace, slots, expertBytes);
}
