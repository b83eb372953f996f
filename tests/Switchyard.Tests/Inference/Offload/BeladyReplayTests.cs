using CsCheck;
using Switchyard.Inference;

namespace Switchyard.Tests.Inference.Offload;

public sealed class BeladyReplayTests
{
    static readonly Gen<(ExpertKey[] Trace, int Slots)> Traces =
        Gen.Select(Gen.Int[1, 3], Gen.Int[1, 12], Gen.Int[1, 8], Gen.Int[0, 80], Gen.ULong).Select((layers, experts, slots, length, seed) =>
        {
            var rng = new Random((int)seed);
            // Skewed, as routers are: low ids more often.
            var trace = new ExpertKey[length];
            for (int i = 0; i < length; i++)
                trace[i] = new ExpertKey(rng.Next(layers), (int)(experts * Math.Pow(rng.NextDouble(), 2)));
            return (trace, slots);
        });

    [Fact]
    public void Replay_RandomTraces_NoMoreMissesThanLruOrLfu()
    {
        Traces.Sample(t =>
        {
            long belady = BeladyReplay.Replay(t.Trace, t.Slots).Misses;
            Assert.True(belady <= CacheSimulator.Replay(new LruPolicy(), t.Trace, t.Slots).Misses);
            Assert.True(belady <= CacheSimulator.Replay(new LfuPolicy(), t.Trace, t.Slots).Misses);
        }, iter: 300, threads: 1);
    }

    [Fact]
    public void Replay_TinyTraces_EqualsBruteForceOptimum()
    {
        Gen.Select(Gen.Int[0, 4].Array[0, 9], Gen.Int[1, 3]).Sample((experts, slots) =>
        {
            var trace = experts.Select(e => new ExpertKey(0, e)).ToArray();
            Assert.Equal(BruteForceMisses(trace, 0, [], slots), BeladyReplay.Replay(trace, slots).Misses);
        }, iter: 300, threads: 1);
    }

    // Fewest misses over every choice of victim (demand fetching is optimal, so only victims vary).
    static long BruteForceMisses(ExpertKey[] trace, int at, HashSet<ExpertKey> resident, int slots)
    {
        if (at == trace.Length) return 0;
        ExpertKey key = trace[at];
        if (resident.Contains(key)) return BruteForceMisses(trace, at + 1, resident, slots);
        if (resident.Count < slots) return 1 + BruteForceMisses(trace, at + 1, [.. resident, key], slots);
        long best = long.MaxValue;
        foreach (ExpertKey victim in resident)
        {
            var next = new HashSet<ExpertKey>(resident);
            next.Remove(victim);
            next.Add(key);
            best = Math.Min(best, 1 + BruteForceMisses(trace, at + 1, next, slots));
        }
        return best;
    }

    [Fact]
    public void Replay_HandTrace_EvictsFarthestNextUse()
    {
        // 2 slots: 0 1 2 0 1 — at 2, next uses: 0 at 3, 1 at 4 → evict 1; then 0 hits, 1 misses.
        var trace = new[] { 0, 1, 2, 0, 1 }.Select(e => new ExpertKey(0, e)).ToArray();
        var r = BeladyReplay.Replay(trace, 2, expertBytes: 7);
        Assert.Equal((1L, 4L, 28L, "belady"), (r.Hits, r.Misses, r.BytesRead, r.Policy));
    }

    [Fact]
    public void Policy_RequestsDifferFromTrace_Throws()
    {
        var policy = new BeladyPolicy([new ExpertKey(0, 1)]);
        policy.Initialize(1);
        var e = Assert.Throws<InvalidOperationException>(() => policy.Accessed(0, new ExpertKey(0, 2), filled: true));
        Assert.Contains("(0, 1)", e.Message);
    }
}
