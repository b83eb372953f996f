using System.Text.Json;

namespace Switchyard.Training;

/// <summary>
/// One arm of a <see cref="Reproduction"/> file (<c>"method"</c>, <c>"baseline"</c> or an entry of <c>"ablations"</c>):
/// <code>
/// { "name": "top-p", "options": { "p": 0.4 },            // a catalog router, or "dense"
///   "label": "top-p-0.4",                                 // row name and run-folder prefix (default: the router name)
///   "consistency": { "alpha": 1 },                        // THOR's two-pass loss (optional)
///   "recipe": { "model": { "num_hidden_layers": 4 } } }   // recipe fields over the reproduction's recipe (optional)
/// </code>
/// </summary>
/// <param name="Router">Catalog router name, or <see cref="RouterComparison.Dense"/>.</param>
/// <param name="Options">Router options, or null for its defaults.</param>
/// <param name="ConsistencyAlpha">Multi-pass consistency coefficient (<see cref="Recipe.ConsistencyAlpha"/>); 0 = the recipe's.</param>
/// <param name="Label">Row label, or null for the router name.</param>
/// <param name="RecipePatch">Recipe JSON applied over the reproduction's recipe before the router (model, data, init, trainable, …), or null.</param>
public sealed record ReproductionArm(string Router, JsonElement? Options = null, double ConsistencyAlpha = 0, string? Label = null, string? RecipePatch = null)
{
    /// <summary>The arm's recipe: <see cref="RecipePatch"/> over <paramref name="shared"/>, then the router, options and consistency.</summary>
    /// <exception cref="InvalidRecipeException">The patch is invalid.</exception>
    public Recipe Resolve(Recipe shared, string source)
    {
        ArgumentNullException.ThrowIfNull(shared);
        Recipe r = RecipePatch is null ? shared : RecipeJson.Parse(System.Text.Encoding.UTF8.GetBytes(RecipePatch), source, shared);
        r = Router == RouterComparison.Dense ? RouterComparison.ForRouter(r, Router)
            : r with { Router = Router, RouterOptions = Options, RouterLayers = RecipePatch is null ? [] : r.RouterLayers };
        return ConsistencyAlpha > 0 ? r with { ConsistencyAlpha = ConsistencyAlpha } : r;
    }
}
