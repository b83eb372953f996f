using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Scorers;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Tests.Routing.Scorers;

public class HashScorerTests
{
    [Fact]
    public void Balanced_Counts_GreedyMostFrequentToLeastLoaded()
    {
        // Given counts: token 2 (100), 0 (60), 3 (50), 1 (10), 4 (10)
        HashScorer s = HashScorer.Balanced(2, [60, 10, 100, 50, 10]);
        // Then 2→0 (load 100), 0→1 (60), 3→1 (110), 1→0 (110), 4→0 (tie 110/110 → lower id: expert 0)
        Assert.Equal([1, 0, 0, 1, 0], Enumerable.Range(0, 5).Select(s.ExpertOf).ToArray());
    }

    [Fact]
    public void Balanced_ZipfCounts_LoadsWithinTheLargestCount()
    {
        var counts = new long[256];
        for (int i = 0; i < counts.Length; i++) counts[i] = 10000 / (i + 1);
        HashScorer s = HashScorer.Balanced(8, counts);
        var load = new long[8];
        for (int i = 0; i < counts.Length; i++) load[s.ExpertOf(i)] += counts[i];
        Assert.True(load.Max() - load.Min() <= counts[0], $"loads {string.Join(",", load)}");
    }

    [Fact]
    public void Route_RandomHash_OneExpertPerTokenWeightOneDeterministic()
    {
        var s = new HashScorer(4, seed: 9);
        int[] ids = [5, 5, 17, 300];
        var tape = new Tape(4096);
        var router = new Router(s, new TopKSelector(1) { ConstantWeights = true });
        var plan = new RoutingPlan();
        router.Route(tape, tape.Constant(new Tensor(new Shape(4, 3))), new RoutingContext(new Rng(1)) { TokenIds = ids }, plan);
        Assert.Equal([1f, 1f, 1f, 1f], plan.Weight.ToArray());
        Assert.False(plan.Gates!.RequiresGrad);
        for (int i = 0; i < 4; i++) Assert.Equal(s.ExpertOf(ids[i]), plan.Expert[plan.ItemSlot[plan.ItemOffsets[i]]]);
        Assert.Equal(s.ExpertOf(5), new HashScorer(4, seed: 9).ExpertOf(5));
        Assert.Equal(0f, router.Statistics.Entropy);
    }

    [Fact]
    public void Score_NoTokenIds_Throws()
    {
        var tape = new Tape(4096);
        Assert.Throws<ArgumentException>(() => new HashScorer(2).Score(tape, tape.Constant(new Tensor(new Shape(2, 1))), new RoutingContext(new Rng(1))));
    }
}
