using System.Text.Json;
using Switchyard.Tensors;

namespace Switchyard.Training;

// Evaluating a finished run again, e.g. with other routing at inference (self-slimming).
public sealed partial class Trainer
{
    /// <summary>
    /// The validation loss of the checkpoint in <paramref name="runDirectory"/> on its own validation batches, as the run's
    /// last evaluation computes it (same batches, thread count, step for step-dependent routers); with
    /// <paramref name="recipe"/>, the model is built from that recipe instead of the run's <c>recipe.json</c> — e.g. other
    /// router options at evaluation (k), which must leave the parameters' names and shapes as they were. Writes nothing.
    /// </summary>
    /// <exception cref="InvalidRecipeException">The directory holds no complete checkpoint.</exception>
    /// <exception cref="Nn.CheckpointMismatchException">The recipe's model does not match the checkpoint's parameters.</exception>
    public static EvaluationResult Evaluate(string runDirectory, Recipe? recipe = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(runDirectory);
        foreach (string f in new[] { RecipeFile, StateFile, ModelFile })
            if (!File.Exists(Path.Combine(runDirectory, f)))
                throw new InvalidRecipeException(runDirectory, 0, $"cannot evaluate: no {f} (not a run directory, or no checkpoint was written yet)");
        using var state = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(runDirectory, StateFile)));
        JsonElement root = state.RootElement;
        // The weights come from the checkpoint, so the run's initialisation (another run, a conversion) is not redone.
        Recipe r = (recipe ?? RecipeJson.Load(Path.Combine(runDirectory, RecipeFile))) with { Threads = root.GetProperty("threads").GetInt32(), Init = null };
        int saved = ParallelRunner.Threads;
        try
        {
            var trainer = new Trainer(r, runDirectory, new TrainOptions());
            trainer._model.Load(Path.Combine(runDirectory, ModelFile));
            trainer.RestoreRouterBias(root);
            trainer._model.RoutingContext.Step = root.GetProperty("step").GetInt32();
            trainer._model.RoutingContext.TotalSteps = r.Steps;
            return trainer.Evaluate();
        }
        finally { ParallelRunner.Threads = saved; } // the run's thread count is its own, not the process's
    }
}
