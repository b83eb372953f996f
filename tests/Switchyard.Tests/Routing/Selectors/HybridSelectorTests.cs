using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Tests.Routing.Selectors;

public class HybridSelectorTests
{
    const int E = 4;
    // Token 0 prefers experts 0 > 1 > 2 > 3; token 1 prefers 3 > 2 > 1 > 0; token 2 prefers 2 > 0 > 1 > 3.
    static readonly float[] s_logits = [3, 2, 1, 0, 0, 1, 2, 3, 1, -1, 2, 0];

    static RoutingPlan Route(HybridSelector selector, RoutingContext context, out Router router)
    {
        var tape = new Tape(4096);
        var logits = new Tensor(new Shape(3, E));
        s_logits.CopyTo(logits.Span);
        var scorer = new FixedScorer(E) { Next = tape.Constant(logits) };
        router = new Router(scorer, selector);
        var plan = new RoutingPlan();
        router.Route(tape, tape.Constant(new Tensor(new Shape(3, 1))), context, plan);
        return plan;
    }

    static int[] Chosen(RoutingPlan plan, int item)
    {
        var experts = new List<int>();
        for (int m = plan.SelectedOffsets[item]; m < plan.SelectedOffsets[item + 1]; m++) experts.Add(plan.SelectedExpert[m]);
        return [.. experts];
    }

    [Fact]
    public void Select_Training_FamilyExpertReplacesTheKthChoiceWhenAbsent()
    {
        // Families: token 0 → 3 (absent from its top-2 {0, 1}), token 1 → 2 (present), token 2 → -1 (no language)
        var context = new RoutingContext(new Rng(1)) { Training = true, LanguageFamilyIds = new[] { 3, 2, -1 }, LanguageIds = new[] { 0, 0, 0 } };
        RoutingPlan plan = Route(new HybridSelector(2, LanguageGroup.Family), context, out _);
        Assert.Equal([0, 3], Chosen(plan, 0));
        Assert.Equal([3, 2], Chosen(plan, 1));
        Assert.Equal([2, 0], Chosen(plan, 2));
    }

    [Fact]
    public void Select_LanguageGroup_UsesLanguageIdModE()
    {
        var context = new RoutingContext(new Rng(1)) { Training = true, LanguageIds = new[] { 6, 1, 4 }, LanguageFamilyIds = new[] { 0, 0, 0 } };
        RoutingPlan plan = Route(new HybridSelector(2, LanguageGroup.Language), context, out _);
        Assert.Equal([0, 2], Chosen(plan, 0)); // 6 mod 4 = 2
        Assert.Equal([3, 1], Chosen(plan, 1));
        Assert.Equal([2, 0], Chosen(plan, 2)); // 4 mod 4 = 0, already chosen
    }

    [Fact]
    public void Select_Inference_IgnoresLanguageIds()
    {
        var ids = new RoutingContext(new Rng(1)) { Training = false, LanguageFamilyIds = new[] { 3, 3, 3 }, LanguageIds = new[] { 3, 3, 3 } };
        RoutingPlan plan = Route(new HybridSelector(2, LanguageGroup.Family), ids, out _);
        Assert.Equal([0, 1], Chosen(plan, 0));
        Assert.Equal([3, 2], Chosen(plan, 1));
        Assert.Equal([2, 0], Chosen(plan, 2));
    }

    [Fact]
    public void Gates_AreRawProbabilities_IncludingTheForcedExpert()
    {
        var context = new RoutingContext(new Rng(1)) { Training = true, LanguageFamilyIds = new[] { 3, -1, -1 } };
        RoutingPlan plan = Route(new HybridSelector(2, LanguageGroup.Family), context, out _);
        double z = Math.Exp(3) + Math.Exp(2) + Math.Exp(1) + 1;
        for (int m = plan.ItemOffsets[0]; m < plan.ItemOffsets[1]; m++)
        {
            int slot = plan.ItemSlot[m], e = plan.Expert[slot];
            Assert.Equal(Math.Exp(s_logits[e]) / z, plan.Weight[slot], 1e-6);
        }
        Assert.Equal(GateWeighting.Normalized, new HybridSelector(2, LanguageGroup.Family) { Normalize = true }.Gate.Weighting);
    }
}
