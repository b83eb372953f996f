using Switchyard.Routing;
using Switchyard.Routing.Balancers;
using Switchyard.Routing.Catalog;
using Switchyard.Routing.Scorers;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Tests.Routing.Catalog;

/// <summary>The T2MIR (noisy-mlp) and ApolloMoE (language-family) catalog entries: composition, defaults, bad options.</summary>
public class MethodRouterCatalogTests
{
    static RouterSetup Setup(int experts = 8) => new(16, experts, new Rng(1));

    [Fact]
    public void NoisyMlp_Defaults_AreTheReferenceGate()
    {
        Router r = RouterCatalog.Create("noisy-mlp", Setup(6));
        var scorer = Assert.IsType<MlpScorer>(r.Scorer);
        Assert.NotNull(scorer.NoiseWeight);
        Assert.Equal(0.01f, scorer.NoiseEpsilon);
        var selector = Assert.IsType<TopKSelector>(r.Selector);
        Assert.Equal(2, selector.K);
        Assert.True(selector.Normalize); // softmax over the top-k logits
        Assert.Equal(0.01f, Assert.IsType<CvSquaredLoss>(Assert.Single(r.Balancers)).Alpha);
    }

    [Fact]
    public void LanguageFamily_Defaults_AreApolloMoEs()
    {
        Router r = RouterCatalog.Create("language-family", Setup());
        var selector = Assert.IsType<HybridSelector>(r.Selector);
        Assert.Equal(LanguageGroup.Family, selector.Group);
        Assert.False(selector.Normalize); // norm_topk_prob = false
        Assert.Empty(r.Balancers); // router_aux_loss_coef = 0
        Assert.Equal(LanguageGroup.Language, Assert.IsType<HybridSelector>(RouterCatalog.Create("language-family", Setup(), ["group=language"]).Selector).Group);
    }

    [Theory]
    [InlineData("noisy-mlp", "k=9", "'k' = 9 must be ≤ the 8 experts")]
    [InlineData("noisy-mlp", "cv_alpha=-1", "cv_alpha")]
    [InlineData("language-family", "group=dialect", "group")]
    [InlineData("language-family", "k=0", "k")]
    public void Create_BadOption_OneLineListingTheValidOptions(string router, string option, string expected)
    {
        var e = Assert.Throws<InvalidRouterOptionException>(() => RouterCatalog.Create(router, Setup(), [option]));
        Assert.Contains(expected, e.Message);
        Assert.Contains("valid options: k (int ≥ 1, default 2)", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
