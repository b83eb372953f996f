using System.Text.Json;
using Switchyard.Models;
using Switchyard.Tests.TestSupport;
using Switchyard.Training;

namespace Switchyard.Tests.Training;

[Collection(TrainingCollection.Name)]
public sealed class ReproductionArmsTests
{
    static ComparisonRow Row(string name, double[] losses, double[] metric) =>
        new(name, losses.Length, losses.Average(), 0.01, 2, 2e6, 0, 0, 0, [], [], [])
        {
            ValLosses = losses,
            Metrics = new Dictionary<string, IReadOnlyList<double>> { ["purity"] = metric },
        };

    [Fact]
    public void Arms_PatchLabelAndAblations_ResolveOverTheSharedRecipe()
    {
        // Given a method arm with its own model depth and label, and one ablation
        string json = ReproductionTests.TinyJson("top-k", """{ "k": 1 }""", "top-k", """
            "ablations": [ { "name": "top-p", "label": "top-p-0.5", "options": { "p": 0.5 } } ],
            """).Replace("\"options\": { \"k\": 1 } }", "\"options\": { \"k\": 1 }, \"label\": \"top-1\", \"recipe\": { \"model\": { \"num_hidden_layers\": 3 }, \"steps\": 6 } }");

        // When the arms are resolved
        var arms = Reproduction.Parse(json, "tiny.json").Arms();

        // Then labels, routers and the patch apply to the method only
        Assert.Equal(["top-1", "top-k", "top-p-0.5"], arms.Select(a => a.Label));
        Assert.Equal(3, arms[0].Recipe.Model.NumHiddenLayers);
        Assert.Equal(6, arms[0].Recipe.Steps);
        Assert.Equal(2, arms[1].Recipe.Model.NumHiddenLayers);
        Assert.Equal(4, arms[1].Recipe.Steps);
        Assert.Equal("top-p", arms[2].Recipe.Router);
    }

    [Theory]
    [InlineData("\"ablations\": [ { \"name\": \"top-k\" } ],", "two arms have the same label")]
    [InlineData("\"ablations\": { },", "'ablations' must be an array")]
    [InlineData("\"procedure\": \"nope\",", "'procedure' must be one of")]
    [InlineData("\"metric\": { \"name\": \"x\", \"better\": \"up\" },", "'metric' must be an object")]
    public void Parse_BadArmsOrClaims_OneClearError(string extra, string expected)
    {
        var ex = Assert.ThrowsAny<SwitchyardException>(() => Reproduction.Parse(ReproductionTests.TinyJson("top-p", "{}", "top-k", extra), "tiny.json"));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Verdict_WithMetric_MetricIsTheClaimAndLossTheGuard()
    {
        Reproduction r = Reproduction.Parse(ReproductionTests.TinyJson("top-p", "{}", "top-k", """ "metric": { "name": "purity", "better": "higher" }, """), "tiny.json");
        ComparisonRow baseline = Row("top-k", [2.0, 2.1, 2.2], [0.3, 0.4, 0.5]);

        // Higher purity on every seed and equal loss: reproduced
        var same = new ReproductionResult(r, Row("top-p", [2.0, 2.1, 2.2], [0.5, 0.6, 0.7]), baseline, "");
        Assert.True(same.MetricHolds);
        Assert.Equal(0.2, same.MetricPaired.Mean, 1e-12);
        Assert.Equal(3, same.MetricPaired.SeedsFavouringMethod);
        Assert.Equal(ReproductionVerdict.Reproduced, same.Verdict);
        Assert.Contains("purity", same.MeasuredText);

        // Higher purity but clearly worse loss: partly
        var worse = new ReproductionResult(r, Row("top-p", [2.5, 2.6, 2.71], [0.5, 0.6, 0.7]), baseline, "");
        Assert.Equal(ReproductionVerdict.Partly, worse.Verdict);

        // Lower purity: the claim fails even with a better loss, which still earns a partly
        var lower = new ReproductionResult(r, Row("top-p", [1.9, 2.0, 2.1], [0.2, 0.3, 0.4]), baseline, "");
        Assert.False(lower.MetricHolds);
        Assert.Equal(ReproductionVerdict.Partly, lower.Verdict);
    }

    [Fact]
    public void Run_ArmStartsFromAnotherArm_ThatArmRunsFirstAndItsWeightsSeedTheRun()
    {
        // Given a method that starts from an ablation's run (declared after it) with routers-only training
        using var temp = new TempDirectory();
        string json = ReproductionTests.TinyJson("top-k", "{}", "top-k", """
            "ablations": [ { "name": "top-k", "label": "pre", "recipe": { "steps": 2 } } ],
            """).Replace("\"options\": {} }", "\"options\": {}, \"label\": \"tuned\", \"recipe\": { \"init\": { \"from\": \"arm:pre\" }, \"trainable\": \"routers\" } }");
        Reproduction r = Reproduction.Parse(json, "tiny.json");
        var order = new List<string>();

        // When it runs, measuring each run
        ReproductionResult result = r.Run(1, temp.File("out"), new TrainOptions { PeakFlops = 1e10 }, (label, _, _, _) => order.Add(label),
            cancel: TestContext.Current.CancellationToken);

        // Then the referenced arm ran first, rows keep the declared order, and the tuned run changed only router weights
        Assert.Equal("pre", order[0]);
        Assert.Equal(["tuned", "top-k"], new[] { result.Method.Router, result.Baseline.Router });
        Assert.Equal("pre", Assert.Single(result.Ablations).Router);
        var pre = DecoderModel.FromPretrained(result.Ablations[0].RunDirectories[0], MoeFeedForward.Factory).NamedParameters()
            .ToDictionary(x => x.Name, x => x.Parameter.Value.Span.ToArray());
        bool routerMoved = false;
        foreach (var (name, p) in DecoderModel.FromPretrained(result.Method.RunDirectories[0], MoeFeedForward.Factory).NamedParameters())
        {
            bool gate = name.Contains(".gate.", StringComparison.Ordinal);
            if (!gate) Assert.Equal(pre[name], p.Value.Span.ToArray());
            else routerMoved |= !pre[name].SequenceEqual(p.Value.Span.ToArray());
        }
        Assert.True(routerMoved);
        using var recipe = JsonDocument.Parse(File.ReadAllText(Path.Combine(result.Method.RunDirectories[0], Trainer.RecipeFile)));
        Assert.Equal(Path.Combine(temp.File("out"), "pre-seed1"), recipe.RootElement.GetProperty("init").GetProperty("from").GetString());
        Assert.Equal("routers", recipe.RootElement.GetProperty("trainable").GetString());
    }

    [Fact]
    public void Recipe_InitAndTrainable_ParseRoundTripAndReject()
    {
        Recipe r = RecipeJson.Parse("""{ "init": { "from": "runs/x", "conversion": "copy" }, "trainable": "moe" }""", "r.json");
        Assert.Equal("runs/x", r.Init!.From);
        Assert.Equal(TrainableScope.Moe, r.Trainable);
        Assert.Equal(RecipeJson.ToJson(r), RecipeJson.ToJson(RecipeJson.Parse(RecipeJson.ToJson(r), "back.json")));
        Assert.Contains("'trainable' must be one of", Assert.ThrowsAny<SwitchyardException>(() => RecipeJson.Parse("""{ "trainable": "experts" }""", "r.json")).Message);
        Assert.Contains("'init.conversion' must be one of", Assert.ThrowsAny<SwitchyardException>(() => RecipeJson.Parse("""{ "init": { "from": "x", "conversion": "nope" } }""", "r.json")).Message);
        Assert.Contains("'init.from' is required", Assert.ThrowsAny<SwitchyardException>(() => RecipeJson.Parse("""{ "init": { } }""", "r.json")).Message);
    }
}
