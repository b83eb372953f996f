using Switchyard.Formats;
using Switchyard.Inference;
using Switchyard.Models;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Inference.Offload;

public sealed class StreamingExpertSourceTests
{
    const long ExpertBytesF32 = 3 * 6 * 8 * 4; // qwen3_moe tiny: gate, up [6, 8], down [8, 6]

    static void AssertExpertMatchesFile(string dir, ModelConfig config, int layer, int expert, ExpertWeights w)
    {
        MoeTensorNames n = config.MoeNames;
        Assert.Equal(OffloadCheckpoint.Bytes(dir, n.ExpertWeight(layer, expert, n.GateProj)), w.Gate.Bytes.ToArray());
        Assert.Equal(OffloadCheckpoint.Bytes(dir, n.ExpertWeight(layer, expert, n.UpProj)), w.Up.Bytes.ToArray());
        Assert.Equal(OffloadCheckpoint.Bytes(dir, n.ExpertWeight(layer, expert, n.DownProj)), w.Down.Bytes.ToArray());
        Assert.Equal((config.ExpertIntermediateSize, config.HiddenSize), (w.Gate.Rows, w.Gate.Cols));
        Assert.Equal((config.HiddenSize, config.ExpertIntermediateSize), (w.Down.Rows, w.Down.Cols));
    }

    [Theory]
    [InlineData(TensorDType.F32, null, 1.0)]
    [InlineData(TensorDType.F32, null, 4.5)]
    [InlineData(TensorDType.F32, null, 8.0)]
    [InlineData(TensorDType.F32, null, 100.0)]
    [InlineData(TensorDType.BF16, 700L, 1.0)]
    [InlineData(TensorDType.BF16, 700L, 4.0)]
    [InlineData(TensorDType.F16, 700L, 8.0)]
    public void Get_AnyBudget_ReturnsTheFilesBytesAndCountsAddUp(TensorDType dtype, long? shard, double budgetExperts)
    {
        // Given a 2-layer × 4-expert checkpoint and a budget of 1 slot, half the experts, all of them, or more
        using var dir = new TempDirectory();
        ModelConfig config = OffloadCheckpoint.Write(dir.Path, dtype: dtype, maxShardBytes: shard);
        if (shard is not null) Assert.True(File.Exists(dir.File("model.safetensors.index.json")));
        long expertBytes = ExpertBytesF32 * dtype.BitSize() / 32;
        // Shards can split an expert's parts, which then sit apart on cache lines: up to 2 × 63 bytes more.
        long budget = (long)(budgetExperts * (expertBytes + (shard is null ? 0 : 128)));
        using var source = new StreamingExpertSource(OffloadCheckpoint.Locations(dir.Path), budget, recordTrace: true);

        // When a random stream of requests runs
        var rng = new Random(5);
        var requests = Enumerable.Range(0, 60).Select(_ => (rng.Next(2), rng.Next(4))).ToList();
        foreach (var (l, e) in requests) AssertExpertMatchesFile(dir.Path, config, l, e, source.Get(l, e));

        // Then the pool stays within the budget and the statistics add up
        Assert.InRange(source.SlotBytes, expertBytes, expertBytes + (shard is null ? 0 : 126));
        Assert.Equal(Math.Min(budget / source.SlotBytes, 8), source.Slots);
        if (budgetExperts == 1) Assert.Equal(1, source.Slots);
        Assert.True(source.PoolBytes <= budget);
        ExpertCacheStatistics s = source.Statistics;
        Assert.Equal(60, s.Requests);
        Assert.Equal(s.Requests, s.Hits + s.Misses);
        Assert.Equal(s.Misses * expertBytes, s.BytesRead);
        Assert.Equal(s.Requests, s.Layers.Sum(x => x.Requests));
        Assert.Equal(s.Hits, s.Layers.Sum(x => x.Hits));
        Assert.Equal([0, 1], s.Layers.Select(x => x.Layer));
        Assert.Equal(requests.Select(r => new ExpertKey(r.Item1, r.Item2)), source.Trace);
        // The replay of the recorded trace with the same policy counts the same hits.
        Assert.Equal(s.Hits, CacheSimulator.Replay(new LruPolicy(), source.Trace, source.Slots).Hits);
        if (source.Slots == 8) Assert.Equal(requests.Distinct().Count(), s.Misses); // all fit: only first uses miss
        if (source.Slots == 1) Assert.Equal(requests.Where((r, i) => i == 0 || requests[i - 1] != r).Count(), s.Misses);
    }

    [Fact]
    public void Get_PartsNotAdjacent_ReadsEachIntoItsPlace()
    {
        // Up of expert e taken from expert e+1: three separate reads per expert.
        using var dir = new TempDirectory();
        ModelConfig config = OffloadCheckpoint.Write(dir.Path);
        var table = OffloadCheckpoint.Locations(dir.Path);
        var shuffled = table.Select(layer => layer?.Select((x, e) => x with { Up = layer[(e + 1) % layer.Length].Up }).ToArray()).ToArray();
        using var source = new StreamingExpertSource(shuffled, 2 * ExpertBytesF32 + 200);
        MoeTensorNames n = config.MoeNames;
        for (int round = 0; round < 2; round++)
        for (int l = 0; l < 2; l++)
        for (int e = 0; e < 4; e++)
        {
            ExpertWeights w = source.Get(l, e);
            Assert.Equal(OffloadCheckpoint.Bytes(dir.Path, n.ExpertWeight(l, e, n.GateProj)), w.Gate.Bytes.ToArray());
            Assert.Equal(OffloadCheckpoint.Bytes(dir.Path, n.ExpertWeight(l, (e + 1) % 4, n.UpProj)), w.Up.Bytes.ToArray());
            Assert.Equal(OffloadCheckpoint.Bytes(dir.Path, n.ExpertWeight(l, e, n.DownProj)), w.Down.Bytes.ToArray());
        }
        Assert.True(source.PoolBytes <= 2 * ExpertBytesF32 + 200);
    }

    [Fact]
    public void Get_Hit_AllocatesNothing()
    {
        using var dir = new TempDirectory();
        ModelConfig config = OffloadCheckpoint.Write(dir.Path);
        using var source = new StreamingExpertSource(OffloadCheckpoint.Locations(dir.Path), 8 * ExpertBytesF32);
        for (int e = 0; e < 4; e++) source.Get(1, e);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++) source.Get(1, i % 4);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.Equal(100, source.Statistics.Hits);
    }

    [Fact]
    public void Create_BudgetBelowOneExpert_ThrowsNamingTheMinimum()
    {
        using var dir = new TempDirectory();
        ModelConfig config = OffloadCheckpoint.Write(dir.Path);
        var e = Assert.Throws<MemoryBudgetException>(() => new StreamingExpertSource(OffloadCheckpoint.Locations(dir.Path), ExpertBytesF32 - 1));
        Assert.Equal(ExpertBytesF32, e.MinimumBytes);
        Assert.Contains($"the minimum is 576 B ({ExpertBytesF32} bytes", e.Message);
        Assert.Contains("smaller than the largest expert", e.Message);
    }

    [Fact]
    public void Create_LocationPastEndOfFile_ThrowsWithFileAndExpert()
    {
        using var dir = new TempDirectory();
        ModelConfig config = OffloadCheckpoint.Write(dir.Path);
        var table = OffloadCheckpoint.Locations(dir.Path);
        long length = new FileInfo(dir.File("model.safetensors")).Length;
        table[1]![2] = table[1]![2] with { Down = table[1]![2].Down with { Offset = length - 10 } };
        var e = Assert.Throws<InvalidModelFileException>(() => new StreamingExpertSource(table, 1 << 20));
        Assert.Contains("expert (1, 2) down", e.Message);
        Assert.Contains("not inside the file", e.Message);
    }

    [Fact]
    public void Create_ByteLengthNotMatchingShape_Throws()
    {
        using var dir = new TempDirectory();
        ModelConfig config = OffloadCheckpoint.Write(dir.Path);
        var table = OffloadCheckpoint.Locations(dir.Path);
        table[0]![0] = table[0]![0] with { Gate = table[0]![0].Gate with { Type = GgmlType.F16 } };
        var e = Assert.Throws<InvalidModelFileException>(() => new StreamingExpertSource(table, 1 << 20));
        Assert.Contains("expert (0, 0) gate: F16 [6, 8] needs 96 bytes, the location has 192", e.Message);
    }

    [Fact]
    public void Get_DenseOrMissingLayer_ThrowsOutOfRange()
    {
        using var dir = new TempDirectory();
        ModelConfig config = OffloadCheckpoint.Write(dir.Path);
        var table = OffloadCheckpoint.Locations(dir.Path);
        table[0] = null; // as for a dense layer
        using var source = new StreamingExpertSource(table, 1 << 20);
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Get(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Get(2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Get(1, 4));
        Assert.Equal(4, source.ExpertCount);
        Assert.Equal([1], source.Statistics.Layers.Select(l => l.Layer));
    }

    [Fact]
    public void Pin_KeepsExpertResident_AndLeavesOneSlotToStream()
    {
        using var dir = new TempDirectory();
        ModelConfig config = OffloadCheckpoint.Write(dir.Path);
        using var source = new StreamingExpertSource(OffloadCheckpoint.Locations(dir.Path), 3 * ExpertBytesF32);
        source.Pin(0, 3);
        source.Pin(1, 0);
        Assert.Equal(0, source.Statistics.Requests); // pinning is not a request
        Assert.Equal(2 * ExpertBytesF32, source.Statistics.BytesRead);
        Assert.Throws<InvalidOperationException>(() => source.Pin(0, 1)); // the third slot must stream
        for (int i = 0; i < 40; i++) source.Get(i % 2, i % 4);
        Assert.True(source.IsResident(0, 3));
        Assert.True(source.IsResident(1, 0));
        Assert.Same(source.Get(0, 3), source.Get(0, 3));
        source.Unpin(0, 3);
        source.Get(1, 1);
        source.Get(1, 2); // one of these evicts (0, 3), the least recent
        Assert.False(source.IsResident(0, 3));
        AssertExpertMatchesFile(dir.Path, config, 1, 0, source.Get(1, 0));
    }

    [Fact]
    public void Lfu_ThroughSource_MatchesSimulator()
    {
        using var dir = new TempDirectory();
        ModelConfig config = OffloadCheckpoint.Write(dir.Path);
        using var source = new StreamingExpertSource(OffloadCheckpoint.Locations(dir.Path), 3 * ExpertBytesF32, new LfuPolicy(), recordTrace: true);
        var rng = new Random(9);
        for (int i = 0; i < 80; i++) source.Get(rng.Next(2), Math.Min(rng.Next(4), rng.Next(4)));
        Assert.Equal(source.Statistics.Hits, CacheSimulator.Replay(new LfuPolicy(), source.Trace, 3).Hits);
        // Belady over the same trace does at least as well, and run live it reproduces its own replay.
        var belady = BeladyReplay.Replay(source.Trace, 3);
        Assert.True(belady.Hits >= source.Statistics.Hits);
        using var optimal = new StreamingExpertSource(OffloadCheckpoint.Locations(dir.Path), 3 * ExpertBytesF32, new BeladyPolicy(source.Trace));
        foreach (ExpertKey k in source.Trace) optimal.Get(k.Layer, k.Expert);
        Assert.Equal(belady.Hits, optimal.Statistics.Hits);
        source.ResetStatistics();
        Assert.Equal((0L, 0), (source.Statistics.Requests, source.Trace.Count));
    }
}
