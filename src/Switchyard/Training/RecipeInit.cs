using System.Text.Json;

namespace Switchyard.Training;

/// <summary>
/// Where a run's initial weights come from instead of a fresh initialisation (<c>"init"</c> in a recipe):
/// another run's final weights, optionally through a conversion (<see cref="Models.ModelConversions"/>,
/// e.g. a dense model turned into an MoE). The run's own model is built from its recipe first; the
/// conversion then writes the source's weights into it.
/// </summary>
/// <param name="From">
/// The source run (or checkpoint) directory holding <c>config.json</c> and <c>model.safetensors</c>; inside a
/// comparison, <c>arm:LABEL</c> names the same seed's run of another arm (which then runs first).
/// </param>
/// <param name="Conversion">Conversion name (<see cref="Models.ModelConversions.Copy"/> when null).</param>
/// <param name="Options">The conversion's options object, or null.</param>
public sealed record RecipeInit(string From, string? Conversion = null, JsonElement? Options = null)
{
    /// <summary>Prefix of <see cref="From"/> that names another arm of the same comparison.</summary>
    public const string ArmPrefix = "arm:";

    /// <summary>The arm label when <see cref="From"/> is <c>arm:LABEL</c>, else null.</summary>
    public string? FromArm => From.StartsWith(ArmPrefix, StringComparison.Ordinal) ? From[ArmPrefix.Length..] : null;
}
