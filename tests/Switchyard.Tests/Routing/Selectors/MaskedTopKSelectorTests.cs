using CsCheck;
using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Pools;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;

namespace Switchyard.Tests.Routing.Selectors;

public sealed class MaskedTopKSelectorTests
{
    [Fact]
    public void Select_MaskedExpertHasTheLargestProbability_IsNeverSelected()
    {
        // Given text tokens whose largest probability is on a task expert (the scorer did not mask here)
        var pools = new ModalityPools(["text", "task"], [2, 2], 1, source: SideIdSource.Target);
        var tape = new Tape(4096);
        var logits = new Tensor(new Shape(2, 5));
        new float[] { 0f, 1f, 9f, 8f, 2f, 5f, 0f, 9f, 1f, 0f }.CopyTo(logits.Span);
        var context = new RoutingContext(new Rng(1)) { ModalityIds = new[] { 0, 1 } };
        var (_, plan, _) = RouteHelper.Route(tape, tape.Constant(logits), new MaskedTopKSelector(2, pools), GateActivation.Softmax, context);

        // Then each token takes the best two of its own intra experts ∪ the shared one
        Assert.Equal([4, 1], plan.SelectedExpert[..2].ToArray());
        Assert.Equal([2, 3], plan.SelectedExpert[2..4].ToArray());
    }

    [Fact]
    public void Select_PoolSmallerThanK_TakesTheWholePoolWithWeightOne()
    {
        var pools = new RoleSplitPools(4, 1, hardRole: 1, source: SideIdSource.Target);
        var tape = new Tape(4096);
        var context = new RoutingContext(new Rng(1)) { TokenRoles = new[] { 1, 2 } };
        var (_, plan, _) = RouteHelper.Route(tape, tape.Constant(TapeGradCheck.Random(new Shape(2, 4), 3)), new MaskedTopKSelector(2, pools), GateActivation.Softmax, context);
        Assert.Equal([3], plan.SelectedExpert[plan.SelectedOffsets[0]..plan.SelectedOffsets[1]].ToArray());
        Assert.Equal(2, plan.SelectedOffsets[2] - plan.SelectedOffsets[1]);
        Assert.DoesNotContain(3, plan.SelectedExpert[plan.SelectedOffsets[1]..].ToArray());
        Assert.Equal(1f, plan.Weight[plan.Offsets[3]]);
    }

    [Fact]
    public void Select_RandomPoolsAndScores_OnlyCandidatesMinKEach_PlanValid()
    {
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, 3], Gen.Int[0, 3], Gen.Int[1, 4], Gen.Int[1, 30], Gen.ULong).Sample((text, task, shared, k, items, seed) =>
        {
            if (Math.Min(text, task) + shared < 1) return;
            var pools = new ModalityPools(["text", "task"], [text, task], shared, unlabelled: (int)(seed % 2), source: seed % 3 == 0 ? SideIdSource.Input : SideIdSource.Target);
            int experts = pools.Experts;
            var rng = new Rng(seed);
            var ids = new int[items];
            for (int i = 0; i < items; i++) ids[i] = rng.NextInt(3) - 1;
            var logits = new Tensor(new Shape(items, experts));
            rng.FillNormal(logits.Span, 3f);
            var context = new RoutingContext(new Rng(1)) { ModalityIds = ids, SequenceLength = items > 3 && items % 2 == 0 ? items / 2 : 0 };
            var tape = new Tape(4096);
            var selector = new MaskedTopKSelector(k, pools);
            var (_, plan, _) = RouteHelper.Route(tape, tape.Constant(logits), selector, GateActivation.Softmax, context);
            float[] probs = tape.Softmax(tape.Constant(logits)).Value.ToArray();
            PlanAssert.Valid(plan, probs, selector.Gate);
            for (int i = 0; i < items; i++)
            {
                int pool = pools.PoolOf(context, i);
                Assert.Equal(Math.Min(k, pools.AllowedCount(pool)), plan.SelectedOffsets[i + 1] - plan.SelectedOffsets[i]);
                for (int m = plan.SelectedOffsets[i]; m < plan.SelectedOffsets[i + 1]; m++) Assert.True(pools.Allows(pool, plan.SelectedExpert[m]));
            }
        }, iter: 200, threads: 1);
    }
}
