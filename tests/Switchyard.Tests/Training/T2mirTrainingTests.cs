using System.Text.Json;
using Switchyard.Models;
using Switchyard.Training;

namespace Switchyard.Tests.Training;

[Collection(TrainingCollection.Name)]
public sealed class T2mirTrainingTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "switchyard-t2mir-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    Recipe Tiny(string options) => RecipeJson.Parse($$"""
        {
          "name": "tiny-t2mir",
          "model": { "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 2, "num_attention_heads": 2,
                     "num_key_value_heads": 1, "num_local_experts": 4, "num_experts_per_tok": 2,
                     "switchyard": { "block": "t2mir", "block_options": {{options}} } },
          "router": { "name": "noisy-mlp", "layers": [ { "index": 0, "kind": "dense" } ] },
          "data": { "mixture": "tasks", "seq_len": 32, "batch_size": 4 },
          "steps": 3,
          "schedule": { "warmup_steps": 1 },
          "eval": { "interval": 0, "batches": 2 },
          "threads": 1,
          "out": {{JsonSerializer.Serialize(Path.Combine(_root, "run"))}}
        }
        """, "tiny-t2mir.json");

    [Fact]
    public void Train_EmaTargetUpdatedAfterTheOptimizerStep_AndThePurityProcedureMeasures()
    {
        // Given τ = 1, the target must equal the online gate as it is after the last optimizer step
        Recipe recipe = Tiny("""{ "tau": 1 }""");
        TrainResult result = Trainer.Run(recipe, new TrainOptions { PeakFlops = 1e10 }, null, TestContext.Current.CancellationToken);
        DecoderModel model = DecoderModel.FromPretrained(result.RunDirectory, MoeFeedForward.Factory);
        var block = Assert.IsType<T2mirFeedForward>(model.Layers[1].FeedForward);
        var online = (Switchyard.Routing.Scorers.MlpScorer)block.TaskMoe!.Router.Scorer;
        Assert.Equal(online.W1.Value.ToArray(), block.Contrastive!.Target.W1.Value.ToArray());
        Assert.Equal(online.W2.Value.ToArray(), block.Contrastive.Target.W2.Value.ToArray());

        // When the reproduction procedure measures the run
        var metrics = T2mirPurityProcedure.Measure(new ComparisonArm("t2mir", recipe), recipe, result);

        // Then it reports purity of both routers and answer accuracy, each in [0, 1]
        foreach (string name in new[] { "purity", "purity_token", "answer_accuracy" })
            Assert.InRange(metrics[name], 0, 1);
    }
}
