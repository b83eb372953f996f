using Switchyard.Models;
using Switchyard.Training;

namespace Switchyard.Tests.Training;

public sealed class RouterComparisonTests
{
    [Fact]
    public void ForRouter_Dense_TakesTheModelsDenseControlAndDropsRouters()
    {
        Recipe moe = TrainerTests.Tiny(null!);
        Recipe dense = RouterComparison.ForRouter(moe, RouterComparison.Dense);
        Assert.Equal(moe.Model.DenseControl(), dense.Model);
        Assert.False(dense.Model.IsMoe);
        Assert.Equal(2 * 64, dense.Model.IntermediateSize); // k · F
        Assert.Null(dense.Router);
        Assert.Null(dense.RouterOptions);
        Assert.Equal(moe.Steps, dense.Steps);
        Assert.Equal(moe.Seed, dense.Seed);
        // Equal active parameters but for the routers' d·E weights per layer.
        Assert.Equal(2 * 32 * 4, ModelCost.ActiveParameters(moe.ResolvedModel()) - ModelCost.ActiveParameters(dense.ResolvedModel()));
    }

    [Fact]
    public void ForRouter_CatalogName_KeepsOptionsOnlyForTheSameRouter()
    {
        Recipe moe = TrainerTests.Tiny(null!);
        Assert.NotNull(RouterComparison.ForRouter(moe, "top-k").RouterOptions);
        Recipe hash = RouterComparison.ForRouter(moe, "hash");
        Assert.Equal("hash", hash.Router);
        Assert.Null(hash.RouterOptions);
        Assert.Same(moe.Model, hash.Model);
    }

    [Fact]
    public void ForRouter_BlockKind_BuildsTheMoeLayersAsThatBlockWithTheRecipesRouter()
    {
        Recipe moe = TrainerTests.Tiny(null!);
        Recipe chain = RouterComparison.ForRouter(moe, "chain");
        Assert.Equal("chain", chain.Model.Switchyard!.Block);
        Assert.Equal(moe.Router, chain.Router);
        Assert.Equal("chain", chain.ResolvedModel().Switchyard!.Block);
        // A name that is both a router and a block is the router; the prefix picks the block.
        Assert.Equal("read-me", RouterComparison.ForRouter(moe, "read-me").Router);
        Assert.Equal("read-me", RouterComparison.ForRouter(moe, "block:read-me").Model.Switchyard!.Block);
        var e = Assert.Throws<InvalidRecipeException>(() => RouterComparison.ForRouter(moe, "block:nope"));
        Assert.Contains("unknown block kind 'nope' (known: ", e.Message);
    }

    [Fact]
    public void ForRouter_UnknownName_ThrowsNamingDense()
    {
        var e = Assert.Throws<InvalidRecipeException>(() => RouterComparison.ForRouter(TrainerTests.Tiny(null!), "nope"));
        Assert.Contains("unknown router 'nope'", e.Message);
        Assert.Contains("dense", e.Message);
    }

    [Fact]
    public void ForRouter_DenseOfDenseModel_Throws()
    {
        Recipe dense = RouterComparison.ForRouter(TrainerTests.Tiny(null!), RouterComparison.Dense);
        Assert.Throws<InvalidRecipeException>(() => RouterComparison.ForRouter(dense, RouterComparison.Dense));
    }

    static ComparisonRow Row(string router, double mean, double std, int seeds = 3) =>
        new(router, seeds, mean, std, 2, 1, 0, 0, 1, [], [], []);

    [Fact]
    public void VersusDense_ClearWin_SaysMoeBetterBeyondTwoSigma()
    {
        var verdicts = RouterComparison.VersusDense([Row("top-k", 1.749, 0.004), Row(RouterComparison.Dense, 1.802, 0.006), Row("hash", 1.80, 0.05)]);
        Assert.Equal(["top-k", "hash"], verdicts.Select(v => v.Router));
        var v = verdicts[0];
        Assert.True(v.MoeBetter);
        Assert.True(v.Significant);
        Assert.Equal(0.053, v.Difference, 9);
        Assert.Equal("top-k vs dense: 1.749 ± 0.004 vs 1.802 ± 0.006 → MoE better by 0.053 nats (> 2σ)", v.ToString());
        Assert.False(verdicts[1].Significant);
        Assert.EndsWith("(within 1σ)", verdicts[1].ToString());
    }

    [Fact]
    public void VersusDense_OneSeedOrNoDenseRow_NoSignificanceOrNoVerdicts()
    {
        Assert.Empty(RouterComparison.VersusDense([Row("top-k", 1, 0)]));
        var v = RouterComparison.VersusDense([Row("top-k", 2.0, 0, 1), Row(RouterComparison.Dense, 1.9, 0, 1)])[0];
        Assert.False(v.MoeBetter);
        Assert.False(v.Significant);
        Assert.True(double.IsNaN(v.Sigmas));
        Assert.Equal("top-k vs dense: 2.000 vs 1.900 → dense better by 0.100 nats (1 seed: no spread to judge by)", v.ToString());
    }
}
