using System.Text.Json;
using Switchyard.Autograd;
using Switchyard.Data;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Routing.Pools;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Tests.Routing.Catalog;

/// <summary>The side-id routers <c>promoe</c> and <c>moiie</c>: defaults, defining behaviour and bad options.</summary>
public sealed class SideIdRouterCatalogTests
{
    const int D = 8, E = 8, N = 64;

    static (RoutingPlan Plan, Router Router) Route(Router router, RoutingContext context, ulong seed = 3)
    {
        var x = new Tensor(new Shape(N, D));
        new Rng(seed).FillNormal(x.Span);
        var tape = new Tape(4096);
        var plan = new RoutingPlan();
        router.Route(tape, tape.Variable(x), context, plan);
        return (plan, router);
    }

    static int[] RandomIds(int count, ulong seed)
    {
        var rng = new Rng(seed);
        return [.. Enumerable.Range(0, N).Select(_ => rng.NextInt(count + 1) - 1)];
    }

    [Fact]
    public void Promoe_PromptTokens_GoOnlyToTheDedicatedExpertWithWeightOne()
    {
        Router router = RouterCatalog.Create("promoe", new RouterSetup(D, E, new Rng(1)));
        int[] roles = RandomIds(3, 5);
        var context = new RoutingContext(new Rng(1)) { TokenRoles = roles, SequenceLength = 16, Training = true };
        var (plan, _) = Route(router, context);
        var pools = Assert.IsType<MaskedTopKSelector>(router.Selector).Pools;
        for (int i = 0; i < N; i++)
        {
            bool prompt = pools.PoolOf(context, i) == RoleSplitPools.HardRouted;
            int[] chosen = plan.SelectedExpert[plan.SelectedOffsets[i]..plan.SelectedOffsets[i + 1]].ToArray();
            if (prompt) Assert.Equal([E - 1], chosen);
            else { Assert.Equal(2, chosen.Length); Assert.DoesNotContain(E - 1, chosen); }
        }
        for (int j = plan.Offsets[E - 1]; j < plan.Offsets[E]; j++) Assert.Equal(1f, plan.Weight[j], 1e-6f);
        Assert.Equal(["pool_balance", "rcl"], router.Statistics.AuxLosses.ToArray().Select(a => a.Name).ToArray());
    }

    [Fact]
    public void Moiie_MaskedExpertsAreNeverSelected_ForAnyModalityIncludingUnlabelled()
    {
        Router router = RouterCatalog.Create("moiie", new RouterSetup(D, E, new Rng(1)));
        for (ulong seed = 0; seed < 10; seed++)
        {
            var context = new RoutingContext(new Rng(1)) { ModalityIds = RandomIds(2, seed), SequenceLength = 8, Training = true };
            var (plan, _) = Route(router, context, seed);
            for (int i = 0; i < N; i++)
            {
                int m = ((MaskedTopKSelector)router.Selector).Pools.PoolOf(context, i);
                int[] allowed = m == LabelSet.TextModality ? [0, 1, 2, 6, 7] : [3, 4, 5, 6, 7];
                for (int s = plan.SelectedOffsets[i]; s < plan.SelectedOffsets[i + 1]; s++) Assert.Contains(plan.SelectedExpert[s], allowed);
                Assert.Equal(2, plan.SelectedOffsets[i + 1] - plan.SelectedOffsets[i]);
            }
        }
        Assert.Equal(0.001f, router.Statistics.AuxLosses[0].Coefficient);
    }

    [Fact]
    public void Moiie_NoModalityIds_RoutesEveryTokenAsText()
    {
        Router router = RouterCatalog.Create("moiie", new RouterSetup(D, E, new Rng(1)));
        var (plan, _) = Route(router, new RoutingContext(new Rng(1)));
        foreach (int e in plan.SelectedExpert) Assert.Contains(e, new[] { 0, 1, 2, 6, 7 });
    }

    [Fact]
    public void Catalog_RoleAndModalityNames_AreTheDatasLabels()
    {
        RouterOption hard = RouterCatalog.Get("promoe").Options.Single(o => o.Name == "hard_role");
        Assert.Equal(["none", .. LabelSet.Roles], hard.Choices.ToArray());
        RouterOption unlabelled = RouterCatalog.Get("moiie").Options.Single(o => o.Name == "unlabelled");
        Assert.Equal(LabelSet.Modalities.ToArray(), unlabelled.Choices.ToArray());
    }

    [Theory]
    [InlineData("moiie", "text_experts=6", "task_experts", "exceeds the 8 experts")]
    [InlineData("moiie", "k=3;text_experts=1;task_experts=7", "k", "smallest candidate set")]
    [InlineData("moiie", "text_experts=0;task_experts=8", "text_experts", "no expert")]
    [InlineData("moiie", "unlabelled=image", "unlabelled", "must be one of text, task")]
    [InlineData("promoe", "role_experts=8", "role_experts", "leaves none")]
    [InlineData("promoe", "k=8", "k", "must be ≤ the 7 routed experts")]
    [InlineData("promoe", "tau=0", "tau", "must be float in (0, 10]")]
    [InlineData("promoe", "hard_role=uncond", "hard_role", "must be one of none, text, prompt, answer")]
    [InlineData("promoe", "ids=output", "ids", "must be one of input, target")]
    public void Create_BadOption_OneLineListingTheValidOptions(string name, string options, string option, string why)
    {
        var e = Assert.Throws<InvalidRouterOptionException>(() => RouterCatalog.Create(name, new RouterSetup(D, E, new Rng(1)), options.Split(';')));
        Assert.Equal(option, e.Option);
        Assert.Contains(why, e.Message);
        Assert.Contains("valid options:", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Create_FromJson_HardRoleNoneIsOnePoolOfAllExperts()
    {
        using var doc = JsonDocument.Parse("""{ "hard_role": "none", "k": 8 }""");
        Router router = RouterCatalog.Create("promoe", new RouterSetup(D, E, new Rng(1)), doc.RootElement);
        var pools = ((MaskedTopKSelector)router.Selector).Pools;
        Assert.Equal(1, pools.Pools);
        Assert.Equal(E, pools.AllowedCount(0));
    }
}
