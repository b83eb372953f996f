using System.Text.Json;
using Switchyard.Routing;
using Switchyard.Routing.Balancers;
using Switchyard.Routing.Catalog;
using Switchyard.Routing.Scorers;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Tests.Routing.Catalog;

public class RouterCatalogTests
{
    static RouterSetup Setup(int experts = 8) => new(16, experts, new Rng(1));

    [Fact]
    public void Entries_EachHasPaperArxivAndDescribedOptions()
    {
        Assert.Equal(["top-k", "switch", "gshard", "mixtral", "expert-choice", "sigmoid-bias", "hash", "top-p", "adamoe", "smoe-dropout", "rmoe", "thor", "similarity-moe", "attention-moe"], RouterCatalog.Names.ToArray());
        foreach (RouterEntry e in RouterCatalog.Entries)
        {
            Assert.Matches(@"^\d{4}\.\d{5}$", e.ArXiv);
            Assert.False(string.IsNullOrWhiteSpace(e.Paper));
            Assert.DoesNotContain('\n', e.Description);
            foreach (RouterOption o in e.Options)
            {
                Assert.Matches("^[a-z_]+$", o.Name);
                Assert.False(string.IsNullOrEmpty(o.DefaultText));
            }
            Assert.NotNull(e.Create(Setup(), null)); // defaults build
        }
        Assert.False(RouterCatalog.Get("expert-choice").IsCausal);
    }

    [Fact]
    public void Get_UnknownName_ThrowsListingKnownRouters()
    {
        var ex = Assert.Throws<UnknownRouterException>(() => RouterCatalog.Get("top-q"));
        Assert.IsAssignableFrom<SwitchyardException>(ex);
        Assert.Contains("'top-q'", ex.Message);
        Assert.Contains("mixtral", ex.Message);
        Assert.Contains("expert-choice", ex.Message);
    }

    [Fact]
    public void Create_Mixtral_ComposesRenormalizedTop2WithMixtralConventionLoss()
    {
        Router r = RouterCatalog.Create("mixtral", Setup());
        var sel = Assert.IsType<TopKSelector>(r.Selector);
        Assert.Equal(2, sel.K);
        Assert.True(sel.Normalize);
        var loss = Assert.IsType<LoadBalancingLoss>(Assert.Single(r.Balancers));
        Assert.Equal(0.001f, loss.Alpha);
        Assert.Equal(LoadBalanceConvention.Mixtral, loss.Convention);
    }

    [Fact]
    public void Create_SigmoidBias_SharesOneBiasBetweenSelectorAndBalancer()
    {
        Router r = RouterCatalog.Create("sigmoid-bias", Setup(), ["k=3", "scaling_factor=2.5", "groups=4", "top_groups=2"]);
        var sel = Assert.IsType<TopKSelector>(r.Selector);
        var bias = Assert.IsType<BiasUpdateBalancer>(r.Balancers[0]);
        Assert.Same(sel.Bias, bias.Bias);
        Assert.Equal(2.5f, sel.Scale);
        Assert.Equal(GateActivation.Sigmoid, r.Scorer.Activation);
        Assert.IsType<SequenceBalanceLoss>(r.Balancers[1]);
    }

    [Fact]
    public void ParseOptions_Json_ReadsTypedValues()
    {
        var entry = (RouterEntry<TopKRouterOptions>)RouterCatalog.Get("top-k");
        using var doc = JsonDocument.Parse("""{"k": 1, "normalize": false, "capacity_factor": 1.25, "drop_policy": "score", "aux_convention": "mixtral"}""");
        TopKRouterOptions o = entry.Parse(doc.RootElement);
        Assert.Equal(new TopKRouterOptions { K = 1, Normalize = false, CapacityFactor = 1.25f, DropPolicy = DropPolicy.Score, AuxConvention = LoadBalanceConvention.Mixtral }, o);
    }

    [Theory]
    [InlineData("kk=2", "unknown option 'kk'")]
    [InlineData("k=two", "option 'k' expects int ≥ 1, found two")]
    [InlineData("k=0", "option 'k' = 0 must be int ≥ 1")]
    [InlineData("normalize=yes", "option 'normalize' expects bool")]
    [InlineData("drop_policy=random", "must be one of position, score")]
    [InlineData("jitter=0.9", "option 'jitter' = 0.9 must be float in [0, 0.5]")]
    [InlineData("k", "'k' is not key=value")]
    public void ParseOptions_BadKeyValue_ThrowsOneMessageListingValidOptions(string assignment, string expected)
    {
        var ex = Assert.Throws<InvalidRouterOptionException>(() => RouterCatalog.Create("top-k", Setup(), [assignment]));
        Assert.IsAssignableFrom<SwitchyardException>(ex);
        Assert.Contains(expected, ex.Message);
        Assert.Contains("router 'top-k'", ex.Message);
        Assert.Contains("valid options: k (int ≥ 1, default 2); normalize (bool, default true)", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Create_KAboveExperts_ThrowsNamingTheLimit()
    {
        var ex = Assert.Throws<InvalidRouterOptionException>(() => RouterCatalog.Create("mixtral", Setup(experts: 4), ["k=5"]));
        Assert.Contains("option 'k' = 5 must be ≤ the 4 experts", ex.Message);
        Assert.Equal("k", ex.Option);
    }

    [Fact]
    public void Create_BadJson_ThrowsForWrongTypeAndNonObject()
    {
        using var wrong = JsonDocument.Parse("""{"capacity_factor": "big"}""");
        var ex = Assert.Throws<InvalidRouterOptionException>(() => RouterCatalog.Create("expert-choice", Setup(), wrong.RootElement));
        Assert.Contains("option 'capacity_factor' expects float > 0, found \"big\"", ex.Message);
        using var array = JsonDocument.Parse("[1]");
        Assert.Throws<InvalidRouterOptionException>(() => RouterCatalog.Create("hash", Setup(), array.RootElement));
    }

    [Fact]
    public void Create_TypedOptionsOutOfRange_AreCheckedToo()
    {
        var ex = Assert.Throws<InvalidRouterOptionException>(() => RouterCatalog.Create("sigmoid-bias", Setup(), new SigmoidBiasRouterOptions { Groups = 3 }));
        Assert.Contains("'groups' = 3 must divide the 8 experts", ex.Message);
        Assert.Throws<InvalidRouterOptionException>(() => RouterCatalog.Create("top-k", Setup(), new TopKRouterOptions { AuxAlpha = -1 }));
        Assert.Throws<ArgumentException>(() => RouterCatalog.Create("top-k", Setup(), new HashRouterOptions()));
    }

    [Fact]
    public void Create_BalancedHashWithoutCounts_Throws_WithCountsBuildsTable()
    {
        Assert.Throws<InvalidRouterOptionException>(() => RouterCatalog.Create("hash", Setup(), ["balanced=true"]));
        Router r = RouterCatalog.Create("hash", Setup() with { TokenCounts = new long[] { 5, 4, 3 } }, ["balanced=true"]);
        Assert.True(Assert.IsType<HashScorer>(r.Scorer).IsBalanced);
    }

    [Fact]
    public void WriteJson_ListsEveryRouterWithOptions()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream)) RouterCatalog.WriteJson(writer);
        using var doc = JsonDocument.Parse(stream.ToArray());
        Assert.Equal(RouterCatalog.Entries.Count, doc.RootElement.GetArrayLength());
        JsonElement mixtral = doc.RootElement.EnumerateArray().Single(e => e.GetProperty("name").GetString() == "mixtral");
        Assert.Equal("2401.04088", mixtral.GetProperty("arxiv").GetString());
        JsonElement alpha = mixtral.GetProperty("options").EnumerateArray().Single(o => o.GetProperty("name").GetString() == "aux_alpha");
        Assert.Equal("0.001", alpha.GetProperty("default").GetString());
        Assert.Equal("float", alpha.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("top-p", "p=1.5", "option 'p' = 1.5 must be float in (0, 1]")]
    [InlineData("top-p", "p=0", "option 'p' = 0 must be float in (0, 1]")]
    [InlineData("top-p", "max_k=9", "option 'max_k' = 9 must be ≤ the 8 experts")]
    [InlineData("top-p", "entropy_beta=-1", "option 'entropy_beta' = -1 must be float ≥ 0")]
    [InlineData("adamoe", "k=25", "option 'k' = 25 must be ≤ the 8 true + 16 null experts")]
    [InlineData("adamoe", "null_experts=0", "option 'null_experts' = 0 must be int ≥ 1")]
    [InlineData("smoe-dropout", "k_max=9", "option 'k_max' = 9 must be ≤ the 8 experts")]
    [InlineData("smoe-dropout", "k_min=6,k_max=5", "option 'k_min' = 6 must be ≤ k_max = 5")]
    [InlineData("smoe-dropout", "eval_k=12", "option 'eval_k' = 12 must be ≤ the 8 experts")]
    [InlineData("smoe-dropout", "k=2", "unknown option 'k'")]
    [InlineData("rmoe", "k=9", "option 'k' = 9 must be ≤ the 8 experts")]
    [InlineData("rmoe", "hidden=0", "option 'hidden' = 0 must be int ≥ 1")]
    [InlineData("thor", "granularity=layer", "must be one of batch, sequence, token")]
    [InlineData("thor", "k=1", "unknown option 'k'")]
    public void Create_NewMethodsBadOptions_OneClearMessageListingValidOptions(string router, string options, string expected)
    {
        var ex = Assert.Throws<InvalidRouterOptionException>(() => RouterCatalog.Create(router, Setup(), options.Split(',')));
        Assert.Contains(expected, ex.Message);
        Assert.Contains($"router '{router}'", ex.Message);
        Assert.Contains("valid options: ", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Create_TopP_ComposesTopPSelectorLoadBalanceAndEntropyLoss_PaperDefaults()
    {
        Router r = RouterCatalog.Create("top-p", Setup());
        var sel = Assert.IsType<TopPSelector>(r.Selector);
        Assert.Equal(0.4f, sel.P);
        Assert.Equal(GateWeighting.Probability, sel.Gate.Weighting);
        Assert.Equal(0.01f, Assert.IsType<LoadBalancingLoss>(r.Balancers[0]).Alpha);
        Assert.Equal(1e-4f, Assert.IsType<EntropyLoss>(r.Balancers[1]).Beta);
        Assert.Single(RouterCatalog.Create("top-p", Setup(), ["entropy_beta=0"]).Balancers); // the "without L_d" ablation
    }

    [Fact]
    public void Create_AdaMoe_ScoresTrueAndNullSlots_RoutesToTrueExperts()
    {
        Router r = RouterCatalog.Create("adamoe", Setup());
        Assert.Equal(8, r.Experts);
        Assert.Equal(16, r.NullExperts);
        Assert.Equal(24, r.Scorer.Experts);
        Assert.Equal(4, r.Selector.K);
        var lb = Assert.IsType<LoadBalancingLoss>(Assert.Single(r.Balancers));
        Assert.Equal(1e-4f, lb.Alpha);
        Assert.Equal(LoadBalanceConvention.Mixtral, lb.Convention);
    }

    [Fact]
    public void Create_SmoeDropout_RouterIsFrozenAndReceivesNoGradient()
    {
        // Given the SMoE-Dropout router with default k (E/2 → E) over a 10-step run
        Router r = RouterCatalog.Create("smoe-dropout", Setup());
        var scorer = Assert.IsType<LinearScorer>(r.Scorer);
        Assert.False(scorer.Weight.Trainable);
        Assert.Empty(r.Balancers);
        float[] before = scorer.Weight.Value.ToArray();

        // When a training step routes
        var tape = new global::Switchyard.Autograd.Tape(4096);
        var x = new Tensor(new Shape(5, 16));
        new Rng(4).FillNormal(x.Span);
        var plan = new RoutingPlan();
        var context = new RoutingContext(new Rng(1)) { Training = true, Step = 5, TotalSteps = 10 };
        r.Route(tape, tape.Constant(x), context, plan);

        // Then k is the schedule's round(4·5/10) + 4 = 6, and no gradient path reaches the router weight
        Assert.Equal(5 * 6, plan.Count);
        Assert.False(plan.Gates!.RequiresGrad);
        Assert.False(scorer.Weight.HasGrad && scorer.Weight.Grad.Span.ToArray().Any(g => g != 0));
        Assert.Equal(before, scorer.Weight.Value.ToArray());
    }
}
