using System.Text.Json;
using Switchyard.Tests.TestSupport;
using Switchyard.Training;

namespace Switchyard.Tests.Training;

[Collection(TrainingCollection.Name)]
public sealed class ReproductionTests
{
    /// <summary>A reproduction file over <see cref="TrainerTests.Tiny"/>'s model, 4 steps, 1 seed.</summary>
    internal static string TinyJson(string method, string methodOptions, string baseline, string extra = "") => $$"""
        {
          "name": "tiny", "paper": "A paper", "arxiv": "0000.00000", "claim": "no worse than the baseline",
          "method": { "name": "{{method}}", "options": {{methodOptions}} },
          "baseline": { "name": "{{baseline}}" },
          {{extra}}
          "seeds": 1,
          "recipe": {
            "model": { "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
                       "num_key_value_heads": 1, "num_local_experts": 4, "num_experts_per_tok": 2 },
            "data": { "seq_len": 32, "batch_size": 4 },
            "steps": 4,
            "optimizer": { "lr": 0.01 },
            "schedule": { "warmup_steps": 1, "min_lr": 0.001 },
            "eval": { "interval": 2, "batches": 2 },
            "threads": 1
          }
        }
        """;

    static ComparisonRow Row(string name, double mean, double std, double experts) =>
        new(name, 3, mean, std, experts, 1e6 * experts, 0, 0, 0, [], [], []);

    static Reproduction Tiny(string extra = "") => Reproduction.Parse(TinyJson("top-p", "{}", "top-k", extra), "tiny.json");

    [Fact]
    public void Parse_TinyFile_ReadsArmsClaimAndRecipe()
    {
        Reproduction r = Tiny("\"max_experts_per_token\": 2,");
        Assert.Equal("top-p", r.Method.Router);
        Assert.Equal("top-k", r.Baseline.Router);
        Assert.Equal(2.0, r.MaxExpertsPerToken);
        Assert.Equal(4, r.Recipe.Steps);
        var arms = r.Arms();
        Assert.Equal(["top-p", "top-k"], arms.Select(a => a.Label));
        Assert.Equal("top-p", arms[0].Recipe.Router);
        Assert.Equal(arms[0].Recipe.Model, arms[1].Recipe.Model);
    }

    [Fact]
    public void Parse_MethodWithConsistency_OnlyTheMethodArmTrainsTwoPasses()
    {
        string json = TinyJson("thor", "{}", "switch").Replace("\"options\": {} }", "\"options\": {}, \"consistency\": { \"alpha\": 1.5 } }");
        var arms = Reproduction.Parse(json, "tiny.json").Arms();
        Assert.Equal(1.5, arms[0].Recipe.ConsistencyAlpha);
        Assert.Equal(0, arms[1].Recipe.ConsistencyAlpha);
        var ex = Assert.ThrowsAny<SwitchyardException>(() => Reproduction.Parse(json.Replace("1.5", "\"x\""), "tiny.json"));
        Assert.Contains("'method.consistency' must be an object", ex.Message);
    }

    [Theory]
    [InlineData("""{ "name": "x" }""", "'method' must be an object with a 'name'")]
    [InlineData("""{ "name": "x", "paper": "p", "arxiv": "a", "claim": "c", "method": { "name": "top-q" } }""", "'method.name': unknown router 'top-q'")]
    [InlineData("""{ "name": "x", "paper": "p", "arxiv": "a", "claim": "c", "method": { "name": "top-p", "options": { "p": 2 } } }""", "option 'p' = 2 must be float in (0, 1]")]
    [InlineData("not json", "not valid JSON")]
    public void Parse_BadFile_OneClearError(string json, string expected)
    {
        var ex = Assert.ThrowsAny<SwitchyardException>(() => Reproduction.Parse(json, "bad.json"));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Load_UnknownName_ListsValidNames()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("reproduce-b.json"), "{}");
        File.WriteAllText(temp.File("reproduce-a.json"), "{}");
        var ex = Assert.Throws<UnknownReproductionException>(() => Reproduction.Load("c", temp.Path));
        Assert.Contains("unknown reproduction 'c'; valid names: a, b", ex.Message);
    }

    [Fact]
    public void BundledFiles_EveryOneParses_AndNamesItsFile()
    {
        string dir = Reproduction.FindRecipesDirectory()!;
        Assert.NotNull(dir);
        IReadOnlyList<string> names = Reproduction.Names(dir);
        Assert.Superset(new HashSet<string> { "top-p", "adamoe", "smoe-dropout", "rmoe", "thor" }, names.ToHashSet());
        foreach (string n in names)
        {
            Reproduction r = Reproduction.Load(n, dir);
            Assert.Equal(n, r.Name);
            Assert.True(r.Seeds >= 3);
            Assert.True(r.Recipe.Steps <= 600, $"{n}: {r.Recipe.Steps} steps is not a few minutes on 2 cores");
        }
    }

    [Theory]
    [InlineData(1.90, 0.01, 1.8, 2.00, 0.01, true, ReproductionVerdict.Reproduced)]      // better and cheaper
    [InlineData(1.90, 0.01, 2.5, 2.00, 0.01, true, ReproductionVerdict.Partly)]          // better, too many experts
    [InlineData(2.01, 0.01, 1.8, 2.00, 0.01, true, ReproductionVerdict.Partly)]          // worse within 1σ, cheap
    [InlineData(2.10, 0.01, 1.8, 2.00, 0.01, true, ReproductionVerdict.NotReproduced)]   // clearly worse though cheaper
    [InlineData(2.10, 0.01, 8.0, 2.00, 0.01, false, ReproductionVerdict.NotReproduced)]  // no cost part: loss decides
    [InlineData(1.99, 0.01, 8.0, 2.00, 0.01, false, ReproductionVerdict.Reproduced)]
    public void Verdict_FollowsLossAndCostParts(double m, double ms, double experts, double b, double bs, bool costPart, ReproductionVerdict expected)
    {
        Reproduction r = Tiny(costPart ? "\"max_experts_per_token\": 2," : "");
        var result = new ReproductionResult(r, Row("top-p", m, ms, experts), Row("top-k", b, bs, 2), "");
        Assert.Equal(expected, result.Verdict);
    }

    [Fact]
    public void Verdict_PerSeedLossesGiven_UsesPairedDifferenceNotTheMeans()
    {
        // Given seeds whose spread (σ ≈ 0.1) dwarfs the gap, but the method is better on every seed
        Reproduction r = Tiny();
        ComparisonRow method = Row("top-p", 2.05, 0.1, 2) with { ValLosses = [1.95, 2.05, 2.15] };
        ComparisonRow baseline = Row("top-k", 2.08, 0.1, 2) with { ValLosses = [1.98, 2.09, 2.17] };

        // When judged
        var result = new ReproductionResult(r, method, baseline, "");

        // Then the pairs decide: −0.03, −0.04, −0.02
        Assert.Equal(3, result.Paired.Count);
        Assert.Equal(-0.03, result.Paired.Mean, 1e-12);
        Assert.Equal(0.01, result.Paired.Std, 1e-12);
        Assert.Equal(3, result.Paired.SeedsFavouringMethod);
        Assert.Equal(ReproductionVerdict.Reproduced, result.Verdict);
        Assert.Contains("3 of 3 seeds favour the method", result.MeasuredText);

        // And a method worse on every seed by more than the pairs' spread is not reproduced, though the means are within 1σ
        var worse = new ReproductionResult(r, method with { ValLosses = [2.00, 2.15, 2.22] }, baseline, "");
        Assert.Equal(ReproductionVerdict.NotReproduced, worse.Verdict);
    }

    [Fact]
    public void Run_SmoeDropoutTiny_KReachesKMaxAndResultsJsonWritten()
    {
        // Given SMoE-Dropout (k 2 → 4 of 4) against the dense control, 4 steps
        using var temp = new TempDirectory();
        Reproduction r = Reproduction.Parse(TinyJson("smoe-dropout", """{ "k_min": 2, "k_max": 4 }""", "dense"), "tiny.json");

        // When it runs
        ReproductionResult result = r.Run(1, temp.File("out"), new TrainOptions { PeakFlops = 1e10 }, cancel: TestContext.Current.CancellationToken);

        // Then the trainer's step drove k: 2 at step 1 (round(2·1/4) + 2 = 2), 4 at the last step
        string run = result.Method.RunDirectories[0];
        var lines = File.ReadLines(Path.Combine(run, Trainer.MetricsFile)).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2f, lines[0].GetProperty("layers")[0].GetProperty("experts_per_token").GetSingle());
        Assert.Equal(4f, lines[^1].GetProperty("layers")[0].GetProperty("experts_per_token").GetSingle());
        Assert.True(result.Baseline.IsDense);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(temp.File("out"), ReproductionResult.ResultsFile)));
        Assert.Equal("smoe-dropout", doc.RootElement.GetProperty("method").GetProperty("label").GetString());
        Assert.Contains(doc.RootElement.GetProperty("verdict").GetString(), new[] { "reproduced", "partly", "not reproduced" });
        Assert.Equal(1, doc.RootElement.GetProperty("paired").GetProperty("differences").GetArrayLength());
        Assert.Equal(1, doc.RootElement.GetProperty("method").GetProperty("val_losses").GetArrayLength());
    }
}
