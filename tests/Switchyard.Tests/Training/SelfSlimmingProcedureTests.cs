using System.Text.Json;
using Switchyard.Tests.TestSupport;
using Switchyard.Training;

namespace Switchyard.Tests.Training;

[Collection(TrainingCollection.Name)]
public sealed class SelfSlimmingProcedureTests
{
    [Theory]
    [InlineData(8, new[] { 1, 2, 4, 8 })]
    [InlineData(12, new[] { 1, 2, 3, 4, 8, 12 })]
    [InlineData(1, new[] { 1 })]
    public void Ks_PowersOfTwoQuarterAndAll(int experts, int[] expected) =>
        Assert.Equal(expected, SelfSlimmingProcedure.Ks(experts));

    [Fact]
    public void WithK_SmoeDropoutSetsEvalK_TopKSetsK_OtherOptionsKept()
    {
        Recipe smoe = RecipeJson.Parse("""{ "router": { "name": "smoe-dropout", "options": { "k_min": 2 } } }""");
        JsonElement o = SelfSlimmingProcedure.WithK(smoe, 3).RouterOptions!.Value;
        Assert.Equal(3, o.GetProperty("eval_k").GetInt32());
        Assert.Equal(2, o.GetProperty("k_min").GetInt32());
        Assert.False(o.TryGetProperty("k", out _));

        Recipe topK = RecipeJson.Parse("""{ "router": { "name": "top-k" } }""");
        Assert.Equal(1, SelfSlimmingProcedure.WithK(topK, 1).RouterOptions!.Value.GetProperty("k").GetInt32());
    }

    [Theory]
    [InlineData("""{ "router": { "name": "hash" } }""", "router 'hash' has neither an 'eval_k' nor a 'k' option")]
    [InlineData("""{ "name": "d", "router": { "name": null } }""", "'d' has none (the dense control?)")]
    public void WithK_RouterWithoutK_OneClearError(string recipe, string expected)
    {
        var e = Assert.Throws<InvalidRecipeException>(() => SelfSlimmingProcedure.WithK(RecipeJson.Parse(recipe), 2));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_TinyReproduction_RecordsLossPerKAndTheTrainedKMatchesTheRunsOwnEvaluation()
    {
        // Given SMoE-Dropout (k 2 → 4 of 4) against learned top-2, evaluated again at k = 1, 2, 4
        string json = ReproductionTests.TinyJson("smoe-dropout", """{ "k_min": 2, "k_max": 4 }""", "top-k",
            """ "procedure": "self-slimming", "metric": { "name": "slimming_loss_increase", "better": "lower" }, """);
        Reproduction r = Reproduction.Parse(json, "tiny.json");
        using var temp = new TempDirectory();

        // When it runs
        ReproductionResult result = r.Run(1, temp.File("out"), new TrainOptions { PeakFlops = 1e10 }, cancel: TestContext.Current.CancellationToken);

        // Then every k has a loss, the metric is L(E/4) − L(E), and re-evaluating at the k each arm ended training with
        // gives its final validation loss bit for bit (same batches, same weights, same routing)
        foreach (ComparisonRow row in new[] { result.Method, result.Baseline })
        {
            foreach (int k in new[] { 1, 2, 4 }) Assert.True(double.IsFinite(row.Metrics[SelfSlimmingProcedure.LossAt(k)][0]), $"{row.Router} k={k}");
            Assert.Equal(row.Metrics["val_loss_k1"][0] - row.Metrics["val_loss_k4"][0], row.Metrics[SelfSlimmingProcedure.Metric][0]);
        }
        Assert.Equal(result.Method.ValLosses[0], result.Method.Metrics["val_loss_k4"][0]);
        Assert.Equal(result.Baseline.ValLosses[0], result.Baseline.Metrics["val_loss_k2"][0]);
        Assert.Equal(1, result.MetricPaired.Count);
    }

    [Fact]
    public void Run_DenseArm_RefusedBeforeTraining()
    {
        string json = ReproductionTests.TinyJson("smoe-dropout", "{}", "dense", """ "procedure": "self-slimming", """);
        using var temp = new TempDirectory();
        var e = Assert.Throws<InvalidRecipeException>(() => Reproduction.Parse(json, "tiny.json").Run(1, temp.File("out"), cancel: TestContext.Current.CancellationToken));
        Assert.Contains("the dense control", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(temp.File("out")));
    }
}
