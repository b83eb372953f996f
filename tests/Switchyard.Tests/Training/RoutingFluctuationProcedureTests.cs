using Switchyard.Autograd;
using Switchyard.Models;
using Switchyard.Tensors;
using Switchyard.Tests.Models;
using Switchyard.Training;

namespace Switchyard.Tests.Training;

public sealed class RoutingFluctuationProcedureTests
{
    [Fact]
    public void SnapshotSteps_SpanTheLast30Percent()
    {
        Assert.Equal([70, 76, 82, 88, 94, 100], RoutingFluctuationProcedure.SnapshotSteps(100));
        Assert.Equal([7, 8, 9, 10], RoutingFluctuationProcedure.SnapshotSteps(10)); // short runs: distinct steps only
    }

    [Fact]
    public void FluctuationRate_IsTheMeanChangedShareOverConsecutivePairs()
    {
        int[] a = [0, 1, 2, 3], b = [0, 1, 2, 0], c = [1, 0, 2, 0];
        Assert.Equal((0.25 + 0.5) / 2, RoutingFluctuationProcedure.FluctuationRate([a, b, c]), 12);
        Assert.Equal(0, RoutingFluctuationProcedure.FluctuationRate([a]));
    }

    [Fact]
    public void TopOne_IsEachTokensFirstChoice_AndLeavesTheModelAsItWas()
    {
        var model = new DecoderModel(TinyConfigs.Create("mixtral", initStd: 0.3), new Rng(2), MoeFeedForward.Factory) { Training = true };
        int[] ids = [1, 2, 3, 4, 5, 6];
        int[] top = RoutingFluctuationProcedure.TopOne(model, [(ids, 2, 3)], new Tape(1 << 14));
        Assert.Equal(2 * ids.Length, top.Length); // two MoE layers
        Assert.All(top, e => Assert.InRange(e, 0, 3));
        Assert.True(model.Training);
        Assert.Equal(top, RoutingFluctuationProcedure.TopOne(model, [(ids, 2, 3)], new Tape(1 << 14))); // no state carried over
    }

    [Theory]
    [InlineData("similarity-moe")]
    [InlineData("attention-moe")]
    [InlineData("uoe")]
    public void BundledReproduction_Loads(string name)
    {
        var rep = Reproduction.Load(name, Reproduction.FindRecipesDirectory()!);
        Assert.True(rep.Seeds >= 3);
        if (name != "uoe")
        {
            Assert.Equal(RoutingFluctuationProcedure.Name, rep.Procedure);
            Assert.Equal("fluctuation_rate", rep.Metric!.Name);
        }
        else Assert.Contains(rep.Arms(), a => a.Recipe.Model.Switchyard?.Block == UoeFeedForward.BlockName);
    }
}
