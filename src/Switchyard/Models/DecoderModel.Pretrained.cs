using Switchyard.Formats;
using Switchyard.Nn;
using Switchyard.Tensors;

namespace Switchyard.Models;

// Checkpoint folders in the transformers layout: config.json + model.safetensors (or shards
// with model.safetensors.index.json).
public sealed partial class DecoderModel
{
    /// <summary>File name of the configuration in a checkpoint folder.</summary>
    public const string ConfigFileName = "config.json";

    /// <summary>File name of the (unsharded) weights in a checkpoint folder.</summary>
    public const string WeightsFileName = "model.safetensors";

    /// <summary>
    /// Writes <c>config.json</c> and <c>model.safetensors</c> into <paramref name="directory"/>
    /// (created if missing), each atomically, as transformers' <c>save_pretrained</c> lays them out.
    /// </summary>
    public void SavePretrained(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        Save(Path.Combine(directory, WeightsFileName));
        Config.Save(Path.Combine(directory, ConfigFileName));
    }

    /// <summary>
    /// Reads <c>config.json</c> from <paramref name="directory"/>, builds the model (feed-forward
    /// blocks from <paramref name="feedForward"/>) and loads its weights with <see cref="LoadCheckpoint"/>.
    /// </summary>
    /// <exception cref="InvalidConfigException">The configuration is invalid or not buildable.</exception>
    /// <exception cref="CheckpointMismatchException">The weights do not fit the model.</exception>
    /// <exception cref="FileNotFoundException">config.json or the weights are missing.</exception>
    public static DecoderModel FromPretrained(string directory, FeedForwardFactory? feedForward = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string configPath = Path.Combine(directory, ConfigFileName);
        var config = ModelConfig.Load(configPath);
        config.EnsureBuildable(configPath);
        // Initial values are overwritten by the checkpoint; a zero std skips drawing them.
        var model = new DecoderModel(config with { InitializerRange = 0 }, new Rng(0), feedForward) { Config = config };
        model.LoadCheckpoint(directory);
        return model;
    }

    /// <summary>
    /// Loads every parameter from the checkpoint in <paramref name="directory"/>: the shards listed in
    /// <c>model.safetensors.index.json</c> when present, otherwise <c>model.safetensors</c>. F32, F16 and
    /// BF16 tensors are converted to float32. With tied embeddings a stored <c>lm_head.weight</c> is
    /// ignored, as transformers does. Everything is checked before anything is written.
    /// </summary>
    /// <param name="directory">The checkpoint folder.</param>
    /// <param name="strict">When true, missing or unexpected tensors are errors; otherwise they are returned.</param>
    /// <exception cref="CheckpointMismatchException">A shape differs, or (strict) tensors are missing or unexpected.</exception>
    /// <exception cref="FileNotFoundException">Neither the index nor the single file exists.</exception>
    public LoadResult LoadCheckpoint(string directory, bool strict = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        using var index = SafeTensorsIndex.OpenCheckpoint(directory, WeightsFileName);
        var named = NamedParameters();
        var known = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        var shapes = new List<string>();
        foreach (var (name, p) in named)
        {
            known.Add(name);
            if (!index.Contains(name)) { missing.Add(name); continue; }
            var info = index.GetInfo(name);
            if (!SameShape(info.Shape, p.Shape))
                shapes.Add($"tensor '{name}' has shape {info.FormatShape()} in the file, the model expects {p.Shape}");
        }
        var unexpected = new List<string>();
        foreach (string name in index.Names)
            if (!known.Contains(name) && !(LmHead.Tied && name == "lm_head.weight")) unexpected.Add(name);
        if (shapes.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
            throw new CheckpointMismatchException(Path.Combine(directory, WeightsFileName), strict ? missing : [], strict ? unexpected : [], shapes);
        foreach (var (name, p) in named)
            if (index.Contains(name)) index.ReadFloat32(name, p.Value.Span);
        return new LoadResult(missing, unexpected);
    }

    static bool SameShape(IReadOnlyList<int> file, Shape shape)
    {
        if (file.Count != shape.Rank) return false;
        for (int i = 0; i < file.Count; i++)
            if (file[i] != shape[i]) return false;
        return true;
    }
}
