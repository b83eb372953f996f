using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Tests.Routing.Selectors;

public sealed class RandomSelectorTests
{
    static (RoutingPlan Plan, Router Router) Route(RandomSelector selector, bool training, int items = 48, int seq = 8, ulong seed = 5)
    {
        var router = new Router(new Switchyard.Routing.Scorers.UniformScorer(4), selector);
        var tape = new Tape(4096);
        var plan = new RoutingPlan();
        var x = new Tensor(new Shape(items, 3));
        router.Route(tape, tape.Variable(x), new RoutingContext(new Rng(seed)) { Training = training, SequenceLength = seq }, plan);
        return (plan, router);
    }

    static int[] ExpertOfEachItem(RoutingPlan plan)
    {
        var e = new int[plan.Items];
        for (int i = 0; i < plan.Items; i++)
        {
            Assert.Equal(1, plan.ItemOffsets[i + 1] - plan.ItemOffsets[i]); // exactly one expert per item
            e[i] = plan.Expert[plan.ItemSlot[plan.ItemOffsets[i]]];
        }
        return e;
    }

    [Fact]
    public void Select_BatchGranularityInTraining_OneExpertForTheWholeBatch_TokenAtInference()
    {
        var selector = new RandomSelector(RandomGranularity.Batch, RandomGranularity.Token);
        Assert.Single(ExpertOfEachItem(Route(selector, training: true).Plan).Distinct());
        Assert.True(ExpertOfEachItem(Route(selector, training: false).Plan).Distinct().Count() > 1);
    }

    [Fact]
    public void Select_SequenceGranularity_ConstantInsideEachSequence()
    {
        int[] e = ExpertOfEachItem(Route(new RandomSelector(RandomGranularity.Sequence), training: true).Plan);
        for (int s = 0; s < 6; s++) Assert.Single(e.Skip(8 * s).Take(8).Distinct());
        Assert.True(e.Distinct().Count() > 1, "six sequences all drew the same expert");
    }

    [Fact]
    public void Select_ManyDraws_EveryExpertUsedWithWeightOneAndNoGradient()
    {
        // Given token-level draws over many items
        var (plan, _) = Route(new RandomSelector(RandomGranularity.Token), training: true, items: 4000, seq: 0);
        int[] e = ExpertOfEachItem(plan);

        // Then the draw is uniform within sampling noise, weights are the constant 1, and routing has no gradient
        for (int k = 0; k < 4; k++) Assert.InRange(e.Count(v => v == k), 850, 1150);
        Assert.All(plan.Weight.ToArray(), w => Assert.Equal(1f, w));
        Assert.False(plan.Gates!.RequiresGrad);
    }

    [Fact]
    public void Select_SameSeed_SamePlan_OtherSeed_OtherDraws()
    {
        var selector = new RandomSelector(RandomGranularity.Token);
        Assert.Equal(ExpertOfEachItem(Route(selector, true, seed: 9).Plan), ExpertOfEachItem(Route(selector, true, seed: 9).Plan));
        Assert.NotEqual(ExpertOfEachItem(Route(selector, true, seed: 9).Plan), ExpertOfEachItem(Route(selector, true, seed: 10).Plan));
    }

    [Fact]
    public void Create_Thor_PaperDefaults_NoParametersNoBalancer()
    {
        Router r = RouterCatalog.Create("thor", new RouterSetup(8, 4, new Rng(1)));
        var s = Assert.IsType<RandomSelector>(r.Selector);
        Assert.Equal(RandomGranularity.Batch, s.Training);
        Assert.Equal(RandomGranularity.Token, s.Evaluation);
        Assert.Empty(r.Balancers);
        Assert.IsNotType<Switchyard.Nn.Module>(r.Scorer, exactMatch: false);
    }
}
