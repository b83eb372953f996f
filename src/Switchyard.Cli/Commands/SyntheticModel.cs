using System.Globalization;
using Switchyard.Experts;
using Switchyard.Models;
using Switchyard.Tensors;
using Switchyard.Training;

namespace Switchyard.Cli.Commands;

/// <summary>
/// Models with seeded random weights for <c>bench decode --synthetic</c>: real shapes, no download. Written
/// once into a cache folder (safetensors for F32, GGUF for quantized types) and loaded like any checkpoint,
/// so the benchmark measures the same memory-mapped path (and expert streaming) as a real model.
/// </summary>
internal static class SyntheticModel
{
    /// <summary>Names <c>--synthetic</c> accepts.</summary>
    public static readonly string[] Names = ["olmoe"];

    /// <summary>
    /// OLMoE-1B-7B's shape (hidden 2048, 16 heads, 64 experts of width 1024, top-8, vocab 50304, full-projection
    /// q/k norm, untied head) with only <paramref name="layers"/> decoder layers.
    /// </summary>
    public static ModelConfig Config(string name, int layers) => name switch
    {
        "olmoe" => ArchitecturePresets.Defaults("olmoe") with { NumHiddenLayers = layers, IntermediateSize = 1024 },
        _ => throw new InvalidRecipeException("--synthetic", 0, $"known synthetic models: {string.Join(", ", Names)}; found '{name}'"),
    };

    /// <summary>
    /// The path to load (a folder for F32, a .gguf file otherwise) of <paramref name="config"/> with weights from
    /// <paramref name="seed"/> stored as <paramref name="type"/>; built under <paramref name="root"/> on first use.
    /// </summary>
    public static string Ensure(ModelConfig config, GgmlType type, ulong seed, string root)
    {
        string key = string.Create(CultureInfo.InvariantCulture,
            $"{config.ModelType}-L{config.NumHiddenLayers}-d{config.HiddenSize}-E{config.NumExperts}x{config.ExpertIntermediateSize}-v{config.VocabSize}-{type}-s{seed}");
        string dir = Path.Combine(root, key);
        string path = type == GgmlType.F32 ? dir : Path.Combine(dir, "model.gguf");
        string done = Path.Combine(dir, "complete");
        if (File.Exists(done)) return path;
        Directory.CreateDirectory(dir);
        // The model's own initialization (normal, initializer_range) from one seed: reproducible weights.
        var model = new DecoderModel(config, new Rng(seed), MoeFeedForward.Factory);
        if (type == GgmlType.F32) model.SavePretrained(dir);
        else GgufCheckpoint.Export(model, path, type);
        File.WriteAllText(done, key);
        return path;
    }

    /// <summary>Where synthetic models are kept: $SWITCHYARD_CACHE/synthetic, else the temp folder's switchyard-synthetic.</summary>
    public static string DefaultRoot() =>
        Environment.GetEnvironmentVariable("SWITCHYARD_CACHE") is { Length: > 0 } cache
            ? Path.Combine(cache, "synthetic")
            : Path.Combine(Path.GetTempPath(), "switchyard-synthetic");
}
