using System.Text.Json;
using Switchyard.Training;

namespace Switchyard.Tests.Training;

[Collection(TrainingCollection.Name)]
public sealed class TrainerTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "switchyard-train-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    const string TopK = """{ "name": "top-k", "options": { "k": 2, "aux_alpha": 0.01 } }""";

    internal static Recipe Tiny(string outDir, int steps = 20, int checkpointInterval = 0, string router = TopK, string tokenizer = "byte") => RecipeJson.Parse($$"""
        {
          "name": "tiny",
          "model": { "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
                     "num_key_value_heads": 1, "num_local_experts": 4, "num_experts_per_tok": 2 },
          "router": {{router}},
          "data": { "seq_len": 32, "batch_size": 4, "tokenizer": "{{tokenizer}}", "bpe_vocab_size": 300 },
          "steps": {{steps}},
          "optimizer": { "lr": 0.01 },
          "schedule": { "warmup_steps": 2, "min_lr": 0.001 },
          "eval": { "interval": 10, "batches": 3 },
          "checkpoint_interval": {{checkpointInterval}},
          "threads": 1,
          "out": {{JsonSerializer.Serialize(outDir)}}
        }
        """, "tiny.json");

    static readonly TrainOptions Fast = new() { PeakFlops = 1e10 };

    static List<JsonElement> Metrics(string dir) =>
        [.. File.ReadLines(Path.Combine(dir, Trainer.MetricsFile)).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement)];

    [Fact]
    public void Run_TinyRecipe_LossDecreasesAndWritesEveryOutput()
    {
        // Given a 20-step recipe
        string dir = Path.Combine(_root, "run");

        // When it runs
        var steps = new List<TrainStep>();
        TrainResult result = Trainer.Run(Tiny(dir), Fast, new Progress(steps.Add), TestContext.Current.CancellationToken);

        // Then the loss fell, every output exists, and metrics have the documented fields
        var m = Metrics(dir);
        Assert.Equal(20, m.Count);
        double first = m.Take(3).Average(e => e.GetProperty("loss").GetDouble());
        double last = m.TakeLast(3).Average(e => e.GetProperty("loss").GetDouble());
        Assert.True(last < first - 0.5, $"loss {first} → {last}");
        foreach (string f in new[] { Trainer.ModelFile, Trainer.ConfigFile, Trainer.OptimizerFile, Trainer.StateFile, Trainer.RecipeFile, Trainer.SummaryFile, Trainer.TokenizerJsonFile })
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        foreach (string field in new[] { "step", "loss", "lr", "tokens_per_s", "mfu", "layers" })
            Assert.True(m[^1].TryGetProperty(field, out _), field);
        Assert.True(m[9].TryGetProperty("val_loss", out _));
        Assert.False(m[8].TryGetProperty("val_loss", out _));
        var layer = m[^1].GetProperty("layers")[0];
        Assert.Equal(4, layer.GetProperty("load").GetArrayLength());
        Assert.True(layer.GetProperty("aux").TryGetProperty("load_balance", out _));
        Assert.Equal(20, steps.Count);
        Assert.NotNull(result.Validation);
        Assert.Contains(result.Validation!.BySource, g => g.Name == "tasks");
        Assert.True(result.UnigramEntropy is > 3 and < 6);
        Assert.Equal(20, JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, Trainer.StateFile))).RootElement.GetProperty("step").GetInt32());
    }

    [Fact]
    public void Run_BalancedHashRouter_BuildsFromCorpusTokenCountsAndUsesEveryExpert()
    {
        // Given the tiny recipe with frequency-balanced hash routing (needs the corpus's token counts)
        string dir = Path.Combine(_root, "hash");
        Recipe recipe = Tiny(dir, steps: 4, router: """{ "name": "hash", "options": { "balanced": true } }""");

        // When it trains
        Trainer.Run(recipe, Fast, null, TestContext.Current.CancellationToken);

        // Then every expert of every layer received tokens
        foreach (JsonElement layer in Metrics(dir)[^1].GetProperty("layers").EnumerateArray())
            foreach (JsonElement load in layer.GetProperty("load").EnumerateArray())
                Assert.True(load.GetDouble() > 0, $"layer {layer}: an expert got no tokens");
    }

    [Fact]
    public void Resume_BpeRun_ReadsItsSavedTokenizerAndIsBitIdentical()
    {
        // Given a BPE run stopped after 2 of 4 steps: the tokenizer was saved once, at the start
        string straight = Path.Combine(_root, "bpe-straight"), split = Path.Combine(_root, "bpe-split");
        Trainer.Run(Tiny(straight, steps: 4, tokenizer: "bpe"), Fast, null, TestContext.Current.CancellationToken);
        Trainer.Run(Tiny(split, steps: 4, tokenizer: "bpe"), Fast with { StopAfter = 2 }, null, TestContext.Current.CancellationToken);
        foreach (string f in new[] { "vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json" })
            Assert.True(File.Exists(Path.Combine(split, f)), f);
        DateTime saved = File.GetLastWriteTimeUtc(Path.Combine(split, "vocab.json"));

        // When it resumes
        Trainer.Resume(split, Fast, null, TestContext.Current.CancellationToken);

        // Then the tokenizer files were not rewritten and the weights equal the straight run's bit for bit
        Assert.Equal(saved, File.GetLastWriteTimeUtc(Path.Combine(split, "vocab.json")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "merges.txt")), File.ReadAllBytes(Path.Combine(split, "merges.txt")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, Trainer.ModelFile)), File.ReadAllBytes(Path.Combine(split, Trainer.ModelFile)));
    }

    [Fact]
    public void Resume_HalfThenRest_IsBitIdenticalToAStraightRun()
    {
        // Given a straight 12-step run and the same recipe stopped after 6 steps
        string straight = Path.Combine(_root, "straight"), split = Path.Combine(_root, "split");
        Trainer.Run(Tiny(straight, steps: 12), Fast, null, TestContext.Current.CancellationToken);
        TrainResult half = Trainer.Run(Tiny(split, steps: 12), Fast with { StopAfter = 6 }, null, TestContext.Current.CancellationToken);
        Assert.Equal(6, half.Step);

        // When the stopped run resumes
        Trainer.Resume(split, Fast, null, TestContext.Current.CancellationToken);

        // Then every step's losses and the final weights and optimizer state are bitwise equal
        var a = Metrics(straight); var b = Metrics(split);
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].GetProperty("loss").GetRawText(), b[i].GetProperty("loss").GetRawText());
            Assert.Equal(a[i].GetProperty("total_loss").GetRawText(), b[i].GetProperty("total_loss").GetRawText());
        }
        Assert.Equal(a[^1].GetProperty("val_loss").GetRawText(), b[^1].GetProperty("val_loss").GetRawText());
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, Trainer.ModelFile)), File.ReadAllBytes(Path.Combine(split, Trainer.ModelFile)));
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, Trainer.OptimizerFile)), File.ReadAllBytes(Path.Combine(split, Trainer.OptimizerFile)));
    }

    [Fact]
    public void Run_NaNInLayerOneExperts_NamesLayerAndOpAndKeepsLastCheckpoint()
    {
        // Given a run that checkpoints every 4 steps and a NaN poked into layer 1's experts before step 7
        string dir = Path.Combine(_root, "nan");
        var options = Fast with
        {
            BeforeStep = (step, model) =>
            {
                if (step != 7) return;
                foreach (var (name, p) in model.NamedParameters())
                    if (name.StartsWith("model.layers.1.", StringComparison.Ordinal) && name.Contains(".experts.", StringComparison.Ordinal))
                        p.Value.Span.Fill(float.NaN);
            },
        };

        // When it runs
        var e = Assert.Throws<TrainingDivergedException>(() => Trainer.Run(Tiny(dir, steps: 12, checkpointInterval: 4), options, null, TestContext.Current.CancellationToken));

        // Then the error names step, layer and op, and the step-4 checkpoint is intact
        Assert.Equal(7, e.Step);
        Assert.Equal(1, e.Layer);
        Assert.False(string.IsNullOrEmpty(e.Op));
        Assert.Contains("layer 1, op ", e.Message);
        Assert.Contains("step 4", e.Message);
        Assert.Equal(4, e.LastCheckpointStep);
        Assert.Equal(4, JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, Trainer.StateFile))).RootElement.GetProperty("step").GetInt32());
        Assert.Equal(6, Metrics(dir).Count);
    }

    [Fact]
    public void Run_OutDirectoryNotEmpty_ThrowsWithoutTouchingIt()
    {
        string dir = Path.Combine(_root, "busy");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "keep.txt"), "mine");
        var e = Assert.Throws<InvalidRecipeException>(() => Trainer.Run(Tiny(dir), Fast, null, TestContext.Current.CancellationToken));
        Assert.Contains("not empty", e.Message);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(dir, "keep.txt")));
    }

    sealed class Progress(Action<TrainStep> report) : IProgress<TrainStep>
    {
        public void Report(TrainStep value) => report(value);
    }

    [Fact]
    public void Run_ThorWithConsistency_TwoPassesPerStep_FiniteLossAndRecipeKeepsAlpha()
    {
        // Given THOR (random experts) with the two-pass consistency loss, 3 steps
        string dir = Path.Combine(_root, "thor");
        Recipe recipe = Tiny(dir, steps: 3, router: """{ "name": "thor" }""") with { ConsistencyAlpha = 1 };

        // When it trains
        TrainResult result = Trainer.Run(recipe, Fast, null, TestContext.Current.CancellationToken);

        // Then every step's total loss (½(L1+L2) + α/2·symKL) is finite and at least the mean CE, and recipe.json keeps α
        var lines = Metrics(dir);
        Assert.Equal(3, lines.Count);
        foreach (var l in lines)
        {
            double total = l.GetProperty("total_loss").GetDouble(), ce = l.GetProperty("loss").GetDouble();
            Assert.True(double.IsFinite(total) && total >= ce - 1e-4, $"total {total} < ce {ce}");
        }
        Assert.Equal(1.0, RecipeJson.Load(Path.Combine(dir, Trainer.RecipeFile)).ConsistencyAlpha);
        Assert.True(double.IsFinite(result.Validation!.Loss));
    }

    [Fact]
    public void Run_Rmoe_StateCarriedThroughTheModel_Trains()
    {
        string dir = Path.Combine(_root, "rmoe");
        Trainer.Run(Tiny(dir, steps: 2, router: """{ "name": "rmoe", "options": { "hidden": 8 } }"""), Fast, null, TestContext.Current.CancellationToken);
        Assert.All(Metrics(dir), l => Assert.True(double.IsFinite(l.GetProperty("total_loss").GetDouble())));
    }
}
