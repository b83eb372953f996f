using Switchyard.Analysis;
using Switchyard.Routing;

namespace Switchyard.Tests.Analysis;

public class CoActivationGraphTests
{
    // A finished plan over `experts` experts with the given kept experts per token (constant weights).
    static RoutingPlan Plan(int experts, params int[][] tokens)
    {
        var plan = new RoutingPlan();
        plan.Begin(tokens.Length, experts);
        for (int t = 0; t < tokens.Length; t++)
            foreach (int e in tokens[t]) plan.Add(t, e, 1f);
        plan.Finish();
        return plan;
    }

    [Fact]
    public void Add_CountsEveryUnorderedPairOfATokensExperts()
    {
        var g = new CoActivationGraph(4);
        g.Add(Plan(4, [0, 1, 2], [0, 1], [3]));
        Assert.Equal(3, g.Tokens);
        Assert.Equal(4, g.PairCount); // 3 + 1 + 0
        Assert.Equal(2, g.Count(0, 1));
        Assert.Equal(2, g.Count(1, 0));
        Assert.Equal(1, g.Count(1, 2));
        Assert.Equal(0, g.Count(0, 3));
        Assert.Equal(2, g.Uses(0));
        Assert.Equal(1, g.Uses(3));
        Assert.Equal([(1, 2L), (2, 1L)], g.TopPartners(0, 5));
    }

    [Fact]
    public void Entropies_FixedCliqueIsZero_UniformPairsIsLogOfThePairCount()
    {
        var clique = new CoActivationGraph(4);
        clique.Add(Plan(4, [0, 1], [2, 3]));
        Assert.Equal(0, clique.PartnerEntropy(0), 12);
        Assert.Equal(0, clique.MeanPartnerEntropy(), 12);
        Assert.Equal(Math.Log(2), clique.PairEntropy(), 12); // two pairs, once each
        var mixed = new CoActivationGraph(3);
        mixed.Add(Plan(3, [0, 1], [0, 2], [1, 2]));
        Assert.Equal(Math.Log(3), mixed.PairEntropy(), 12);
        Assert.Equal(Math.Log(2), mixed.MeanPartnerEntropy(), 12);
    }
}
