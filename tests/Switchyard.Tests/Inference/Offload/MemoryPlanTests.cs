using Switchyard.Inference;

namespace Switchyard.Tests.Inference.Offload;

public sealed class MemoryPlanTests
{
    // Embeddings 1000 B over a vocab of 10 (row 100 B), untied head 1000 B, final norm 50 B; 2 layers of
    // attention 400 B + router 40 B + 4 experts of 100 B; k = 2; 1 kv head of width 4.
    static readonly ModelFootprint Model = new(1000, 1000, 50, TiedEmbeddings: false, VocabSize: 10, ExpertsPerToken: 2,
        KeyValueHeads: 1, HeadDim: 4, [new LayerFootprint(0, 400, 40, 0, 0, 4, 100, 400), new LayerFootprint(1, 400, 40, 0, 0, 4, 100, 400)]);

    [Fact]
    public void Create_ThreeSlots_SplitsEvenlyAndPredictsSpeed()
    {
        // Non-expert 2930 B + KV 2·2·1·4·8·4 = 512 B; 350 B left → 3 slots: 2 in layer 0, 1 in layer 1.
        MemoryPlan p = MemoryPlan.Create(Model, budgetBytes: 3792, context: 8, memoryGBps: 1, fileGBps: 0.1);
        Assert.True(p.Fits);
        Assert.Equal(2930, p.NonExpertBytes);
        Assert.Equal(512, p.KvCacheBytes);
        Assert.Equal(3542, p.MinimumBytes);
        Assert.Equal((3, 100L, 300L), (p.ExpertSlots, p.ExpertSlotBytes, p.ExpertPoolBytes));
        Assert.Equal([2, 1], p.Layers.Select(l => l.ResidentExperts));
        Assert.Equal([0.5, 0.25], p.Layers.Select(l => l.ExpectedHitRate));
        Assert.Equal(0.375, p.ExpectedHitRate);
        Assert.Equal(3742, p.ResidentBytes);
        Assert.Equal(500, p.StreamedBytes);
        // Missed: 2·(1 − ½)·100 + 2·(1 − ¼)·100 = 250 B. Active weights: 2·(440 + 2·100) + head 1000 + row 100 + norm 50.
        Assert.Equal(250, p.MissedBytesPerToken, 9);
        Assert.Equal(2430, p.ActiveWeightBytesPerToken);
        Assert.Equal(2942, p.ActiveBytesPerToken);
        Assert.Equal(2942 / 1e9 + 250 / 1e8, p.SecondsPerToken, 15);
        Assert.Equal(1 / (2942 / 1e9 + 250 / 1e8), p.TokensPerSecond, 6);
        Assert.False(p.AllResident);
    }

    [Fact]
    public void Create_BudgetForAll_NothingStreams()
    {
        MemoryPlan p = MemoryPlan.Create(Model, budgetBytes: 1L << 20, context: 8, memoryGBps: 1, fileGBps: 0.1);
        Assert.True(p.AllResident);
        Assert.Equal(8, p.ExpertSlots);
        Assert.Equal(0, p.StreamedBytes);
        Assert.Equal(0, p.MissedBytesPerToken);
        Assert.Equal(1.0, p.ExpectedHitRate);
        Assert.Equal(1e9 / 2942, p.TokensPerSecond, 6);
    }

    [Fact]
    public void Create_BelowMinimum_DoesNotFitAndStreamsEverything()
    {
        MemoryPlan p = MemoryPlan.Create(Model, budgetBytes: 3541, context: 8, memoryGBps: 1, fileGBps: 0.1);
        Assert.False(p.Fits);
        Assert.Equal(3542, p.MinimumBytes);
        Assert.Equal(0, p.ExpertSlots);
        Assert.Equal(800, p.StreamedBytes);
    }

    [Fact]
    public void Create_TiedHead_ReadsTheEmbeddingMatrixAsHead()
    {
        MemoryPlan p = MemoryPlan.Create(Model with { TiedEmbeddings = true, LmHeadBytes = 0 }, 1L << 20, 8, 1, 1);
        Assert.Equal(2430, p.ActiveWeightBytesPerToken); // the head's matmul reads the 1000 B embedding matrix
        Assert.Equal(1930, p.NonExpertBytes);
    }

    [Fact]
    public void Create_BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryPlan.Create(Model, 1 << 20, 0, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryPlan.Create(Model, 1 << 20, 8, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryPlan.Create(Model, -1, 8, 1, 1));
    }
}
