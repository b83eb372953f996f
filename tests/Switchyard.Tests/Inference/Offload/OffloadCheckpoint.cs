using Switchyard.Formats;
using Switchyard.Inference;
using Switchyard.Models;
using Switchyard.Tensors;
using Switchyard.Tests.Models;

namespace Switchyard.Tests.Inference.Offload;

/// <summary>Writes a tiny random checkpoint folder (config.json + safetensors, optionally sharded) for offloading tests.</summary>
internal static class OffloadCheckpoint
{
    /// <summary>
    /// <see cref="TinyConfigs"/>' <paramref name="modelType"/> (4 experts of width 6 over d = 8, 2 layers) with random
    /// weights stored as <paramref name="dtype"/>, sharded when <paramref name="maxShardBytes"/> is given.
    /// </summary>
    public static ModelConfig Write(string directory, string modelType = "qwen3_moe", TensorDType dtype = TensorDType.F32,
        long? maxShardBytes = null, Func<ModelConfig, ModelConfig>? edit = null)
    {
        ModelConfig config = TinyConfigs.Create(modelType, initStd: 0.5);
        if (edit is not null) config = edit(config);
        var model = new DecoderModel(config, new Rng(42), MoeFeedForward.Factory);
        var entries = model.NamedParameters().Select(p => SafeTensorEntry.From(p.Name, p.Parameter.Value, dtype)).ToList();
        if (maxShardBytes is { } max) SafeTensors.WriteSharded(directory, entries, max);
        else SafeTensors.Write(Path.Combine(directory, DecoderModel.WeightsFileName), entries);
        config.Save(Path.Combine(directory, DecoderModel.ConfigFileName));
        return config;
    }

    /// <summary>The expert location table of the checkpoint, as the inference engine's loader finds it (null for dense layers).</summary>
    public static ExpertLocation[]?[] Locations(string directory)
    {
        using var model = InferenceModel.Load(directory);
        var table = new ExpertLocation[]?[model.LayerCount];
        for (int l = 0; l < table.Length; l++) table[l] = model.ExpertLocations(l)?.ToArray();
        return table;
    }

    /// <summary>The stored bytes of tensor <paramref name="name"/>.</summary>
    public static byte[] Bytes(string directory, string name)
    {
        using var index = SafeTensorsIndex.OpenCheckpoint(directory);
        return index.GetBytes(name).ToArray();
    }
}
