namespace Switchyard.Inference;

/// <summary>
/// Replays a recorded expert access trace (<see cref="StreamingExpertSource.Trace"/>) through a cache of
/// a given slot count under any policy, reading nothing: LRU, LFU and the offline optimum
/// (<see cref="BeladyReplay"/>) are compared on the same requests. The cache fills on demand, as
/// <see cref="StreamingExpertSource"/> does, so a replay with the same policy counts the same hits.
/// </summary>
public static class CacheSimulator
{
    /// <summary>Replays <paramref name="trace"/> with <paramref name="policy"/> (re-initialized) over <paramref name="slots"/> slots.</summary>
    /// <param name="policy">Eviction policy; its state is reset first.</param>
    /// <param name="trace">(layer, expert) requests in order.</param>
    /// <param name="slots">Experts resident at once (at least 1).</param>
    /// <param name="expertBytes">Bytes one miss reads, for <see cref="CacheReplayResult.BytesRead"/>.</param>
    public static CacheReplayResult Replay(IExpertCachePolicy policy, IReadOnlyList<ExpertKey> trace, int slots, long expertBytes = 0)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        ArgumentOutOfRangeException.ThrowIfNegative(expertBytes);
        policy.Initialize(slots);
        var where = new Dictionary<ExpertKey, int>();
        var held = new ExpertKey[slots];
        var evictable = new bool[slots];
        Array.Fill(evictable, true);
        int used = 0;
        long hits = 0, misses = 0;
        foreach (ExpertKey key in trace)
        {
            if (where.TryGetValue(key, out int slot))
            {
                hits++;
                policy.Accessed(slot, key, filled: false);
                continue;
            }
            misses++;
            if (used < slots) slot = used++;
            else
            {
                slot = policy.ChooseVictim(evictable, key);
                where.Remove(held[slot]);
            }
            held[slot] = key;
            where[key] = slot;
            policy.Accessed(slot, key, filled: true);
        }
        return new CacheReplayResult(policy.Name, slots, trace.Count, hits, misses, misses * expertBytes);
    }
}
