using Switchyard.Training;

namespace Switchyard.Tests.Training;

public class RoutingMeasuresTests
{
    [Fact]
    public void Nmi_OneExpertPerTask_IsOne_IndependentIsZero()
    {
        Assert.Equal(1, RoutingMeasures.NormalizedMutualInformation([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 1, 1]), 1e-12);
        Assert.Equal(0, RoutingMeasures.NormalizedMutualInformation([0, 1, 0, 1], [0, 0, 1, 1]), 1e-12);
        Assert.Equal(0, RoutingMeasures.NormalizedMutualInformation([0, 0, 0], [1, 1, 1]));
        // Negative entries (no task, no expert) are left out.
        Assert.Equal(1, RoutingMeasures.NormalizedMutualInformation([0, -1, 1, 1], [2, 0, 3, -1]), 1e-12);
    }

    [Fact]
    public void Nmi_PartialInformation_MatchesTheDefinition()
    {
        // Tasks a = [0,0,1,1], experts b = [0,0,0,1]: H(a) = ln 2, H(b) = −(¾ln¾ + ¼ln¼), I = H(b) − H(b|a) = H(b) − ½ln2.
        double ha = Math.Log(2), hb = -(0.75 * Math.Log(0.75) + 0.25 * Math.Log(0.25)), mi = hb - 0.5 * Math.Log(2);
        Assert.Equal(2 * mi / (ha + hb), RoutingMeasures.NormalizedMutualInformation([0, 0, 1, 1], [0, 0, 0, 1]), 1e-12);
    }

    [Fact]
    public void Js_IdenticalIsZero_DisjointIsLn2_MeanOverPairs()
    {
        Assert.Equal(0, RoutingMeasures.JsDivergence([0.5, 0.5], [0.5, 0.5]), 1e-15);
        Assert.Equal(Math.Log(2), RoutingMeasures.JsDivergence([1, 0], [0, 1]), 1e-15);
        // Counts are normalised; pairs: (A,B) = ln 2, (A,C) = 0, (B,C) = ln 2; an empty group is skipped.
        Assert.Equal(2 * Math.Log(2) / 3, RoutingMeasures.MeanPairwiseJsDivergence([[4, 0], [0, 2], [1, 0], [0, 0]]), 1e-12);
        Assert.Equal(0, RoutingMeasures.MeanPairwiseJsDivergence([[1, 2]]));
    }
}
