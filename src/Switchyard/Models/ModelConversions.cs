using System.Text.Json;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// Ways to initialise one model from another model's trained weights (a recipe's <c>"init"</c>):
/// <see cref="Copy"/> by name, or a method's conversion such as a dense FFN split into experts
/// (MoE-fication, ternary up-cycling, expert extraction). Each conversion writes into an already
/// built target, whose parameters it does not touch keep their fresh initialisation.
/// </summary>
public static class ModelConversions
{
    /// <summary>Writes <paramref name="source"/>'s weights into <paramref name="target"/>; <paramref name="options"/> is the conversion's options object or null.</summary>
    /// <remarks>Bad options or incompatible models throw <see cref="InvalidConfigException"/> naming the field.</remarks>
    public delegate void Conversion(DecoderModel source, DecoderModel target, JsonElement? options, Rng rng);

    /// <summary>The default conversion: every parameter whose name exists in both models is copied (shapes must agree).</summary>
    public const string Copy = "copy";

    static readonly SortedDictionary<string, (string Summary, Conversion Apply)> s_entries = new(StringComparer.Ordinal)
    {
        [Copy] = ("copy every parameter present in both models by name (shapes must agree); the rest keep their initialisation", CopyByName),
        [TernaryUpcycling.Name] = ("MoTE: dense FFN → frozen shared expert + routed (ternary) experts from the FFN with noise; options noise, scale_jitter", TernaryUpcycling.Apply),
        [ExpertExtraction.Name] = ("Read-ME: per calibration domain (the mixture's sources) keep the most active half of each dense FFN's units; shared slice = kept by all, expert d = the rest of domain d's; into read-me blocks; the rest copied by name", ExpertExtraction.Convert),
        [MoeFication.Name] = ("Dynamic-DINO: split each dense SwiGLU FFN into g slices × N replicas (E = N·g experts, k = g) with a router that reproduces the dense output at step 0; the rest copied by name", MoeFication.Convert),
        [DenseDecomposition.Name] = ("Union of Experts: a dense model's SwiGLU MLPs become the target's UoE slice experts exactly (all slices on = dense); the rest by name", DenseDecomposition.DecomposeDense),
    };

    /// <summary>The conversion names, sorted.</summary>
    public static IReadOnlyCollection<string> Names => s_entries.Keys;

    /// <summary>One line describing conversion <paramref name="name"/>, or null when unknown.</summary>
    public static string? Summary(string name) => s_entries.TryGetValue(name, out var e) ? e.Summary : null;

    /// <summary>Applies conversion <paramref name="name"/> (null = <see cref="Copy"/>).</summary>
    /// <exception cref="InvalidConfigException">Unknown conversion (the message lists them), bad options or incompatible models.</exception>
    public static void Apply(string? name, DecoderModel source, DecoderModel target, JsonElement? options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(rng);
        name ??= Copy;
        if (!s_entries.TryGetValue(name, out var entry))
            throw new InvalidConfigException(null, "init.conversion", $"one of {string.Join(", ", s_entries.Keys.Select(n => $"\"{n}\""))}", $"\"{name}\"");
        entry.Apply(source, target, options, rng);
    }

    /// <summary>Copies every same-named parameter from <paramref name="source"/> into <paramref name="target"/>.</summary>
    /// <exception cref="InvalidConfigException">A shared name has different shapes, or no parameter is shared.</exception>
    public static void CopyByName(DecoderModel source, DecoderModel target, JsonElement? options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (options is { } o) throw new InvalidConfigException(null, "init.options", $"null (\"{Copy}\" takes no options)", o.GetRawText());
        var from = source.NamedParameters().ToDictionary(x => x.Name, x => x.Parameter, StringComparer.Ordinal);
        int copied = 0;
        foreach (var (name, p) in target.NamedParameters())
        {
            if (!from.TryGetValue(name, out var s)) continue;
            if (s.Shape != p.Shape) throw new InvalidConfigException(null, "init", $"'{name}' of shape {p.Shape} as the target model has it", $"shape {s.Shape} in the source");
            s.Value.Span.CopyTo(p.Value.Span);
            copied++;
        }
        if (copied == 0) throw new InvalidConfigException(null, "init", "a source model sharing parameter names with the target", "no shared name");
    }
}
