using Switchyard.Tensors;

namespace Switchyard.Training;

public sealed partial class Trainer
{
    /// <summary>
    /// The validation loss of the model a run of <paramref name="recipe"/> starts from — built, initialised and
    /// converted (<see cref="Recipe.Init"/>) exactly as <see cref="Run"/> does, before step 1 — on the same validation
    /// batches the run's evaluations use. Writes nothing. A conversion meant to preserve the source model's function
    /// (<c>moefy</c>) shows here whether it did: the value equals the source run's final validation loss.
    /// </summary>
    /// <exception cref="InvalidRecipeException">The recipe cannot be built (e.g. its init source is missing).</exception>
    public static EvaluationResult EvaluateStart(Recipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        int threads = ParallelRunner.Threads;
        try { return new Trainer(recipe, recipe.Out ?? Path.Combine("runs", recipe.Name), new TrainOptions()).Evaluate(); }
        finally { ParallelRunner.Threads = threads; }
    }
}
