using Switchyard.Inference;

namespace Switchyard.Tests.Inference.Offload;

/// <summary>LRU and LFU on hand-made traces, through <see cref="CacheSimulator"/>.</summary>
public sealed class CachePolicyTests
{
    static List<ExpertKey> Trace(params int[] experts) => [.. experts.Select(e => new ExpertKey(0, e))];

    [Fact]
    public void Lru_ClassicTrace_EvictsLeastRecent()
    {
        // 2 slots: 0 1 0 2 (evicts 1) 1 (evicts 0) 0 (evicts 2) → hits only at the third request.
        var r = CacheSimulator.Replay(new LruPolicy(), Trace(0, 1, 0, 2, 1, 0), slots: 2, expertBytes: 10);
        Assert.Equal((6L, 1L, 5L, 50L), (r.Requests, r.Hits, r.Misses, r.BytesRead));
        Assert.Equal("lru", r.Policy);
    }

    [Fact]
    public void Lfu_FrequentExpert_SurvivesAScan()
    {
        // 0 is used 3 times; the scan 1 2 3 must not evict it under LFU, while LRU loses it.
        var trace = Trace(0, 0, 0, 1, 2, 3, 0);
        var lfu = CacheSimulator.Replay(new LfuPolicy(), trace, slots: 2);
        var lru = CacheSimulator.Replay(new LruPolicy(), trace, slots: 2);
        Assert.Equal(3, lfu.Hits); // 0, 0, and the final 0
        Assert.Equal(2, lru.Hits);
    }

    [Fact]
    public void Lfu_EqualCounts_EvictsLeastRecent()
    {
        // 0 and 1 both used twice; 1 more recently: 2 evicts 0, so the final 1 hits and 0 would miss.
        var r = CacheSimulator.Replay(new LfuPolicy(), Trace(0, 1, 0, 1, 2, 1, 0), slots: 2);
        Assert.Equal(3, r.Hits); // 0, 1, then 1 after the eviction of 0
        Assert.Equal(4, r.Misses);
    }

    [Fact]
    public void Lfu_CountsSurviveEviction()
    {
        // 0 (count 2) is evicted by 2 in favour of 1 (count 3); back, 0 has count 3 and ties 1, so 3 evicts
        // the less recent 1 and the final 0 hits. Counts reset on eviction would evict 0 (count 1) instead.
        var r = CacheSimulator.Replay(new LfuPolicy(), Trace(0, 0, 1, 1, 1, 2, 0, 3, 0), slots: 2);
        Assert.Equal(4, r.Hits);
    }

    [Fact]
    public void Replay_LayersAreDistinctKeys()
    {
        var trace = new List<ExpertKey> { new(0, 1), new(1, 1), new(0, 1) };
        Assert.Equal(1, CacheSimulator.Replay(new LruPolicy(), trace, 2).Hits);
        Assert.Equal(0, CacheSimulator.Replay(new LruPolicy(), trace, 1).Hits);
    }

    [Fact]
    public void Replay_ZeroSlots_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CacheSimulator.Replay(new LruPolicy(), Trace(0), 0));
}
