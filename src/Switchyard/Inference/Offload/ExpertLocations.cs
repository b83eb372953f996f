using Switchyard.Formats;
using Switchyard.Models;
using Switchyard.Tensors;

namespace Switchyard.Inference;

/// <summary>
/// Where each routed expert's projections lie in a Hugging Face safetensors checkpoint, for
/// <see cref="StreamingExpertSource"/>. Names come from the architecture (<see cref="ModelConfig.MoeNames"/>);
/// Granite's fused <c>input_linear</c> [E, 2F, d] / <c>output_linear</c> [E, d, F] are cut into per-expert
/// row ranges. Only headers are read.
/// </summary>
public static class ExpertLocations
{
    /// <summary>
    /// Reads the table from the checkpoint in <paramref name="directory"/> (<c>model.safetensors</c>, or its
    /// shards through <c>model.safetensors.index.json</c>).
    /// </summary>
    /// <returns>Per decoder layer, its <see cref="ModelConfig.NumExperts"/> locations; null for a dense layer.</returns>
    /// <exception cref="InvalidModelFileException">An expert tensor is missing, has the wrong shape, or a dtype other than F32, F16, BF16.</exception>
    /// <exception cref="FileNotFoundException">Neither the index nor the single file exists.</exception>
    public static ExpertLocation[]?[] FromSafeTensors(string directory, ModelConfig config)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(config);
        using SafeTensorsIndex index = SafeTensorsIndex.OpenCheckpoint(directory);
        MoeTensorNames names = config.MoeNames;
        int d = config.HiddenSize, f = config.ExpertIntermediateSize, experts = config.NumExperts;
        var table = new ExpertLocation[]?[config.NumHiddenLayers];
        for (int l = 0; l < table.Length; l++)
        {
            if (config.LayerKind(l) != FeedForwardKind.Moe) continue;
            var layer = new ExpertLocation[experts];
            if (names.Experts is not null)
            {
                for (int e = 0; e < experts; e++)
                {
                    layer[e] = new ExpertLocation(
                        Whole(index, names.ExpertWeight(l, e, names.GateProj), f, d),
                        Whole(index, names.ExpertWeight(l, e, names.UpProj), f, d),
                        Whole(index, names.ExpertWeight(l, e, names.DownProj), d, f));
                }
            }
            else
            {
                string prefix = $"model.layers.{l}.{names.Block}.";
                string input = prefix + names.FusedInput + ".weight", output = prefix + names.FusedOutput + ".weight";
                (TensorInfo inInfo, string inPath, GgmlType inType) = Find(index, input, [experts, 2 * f, d]);
                (TensorInfo outInfo, string outPath, GgmlType outType) = Find(index, output, [experts, d, f]);
                long inExpert = inInfo.ByteLength / experts, outExpert = outInfo.ByteLength / experts, half = inExpert / 2;
                for (int e = 0; e < experts; e++)
                {
                    long at = inInfo.FileOffset + e * inExpert;
                    layer[e] = new ExpertLocation(
                        new TensorLocation(inPath, at, half, inType, f, d),
                        new TensorLocation(inPath, at + half, half, inType, f, d),
                        new TensorLocation(outPath, outInfo.FileOffset + e * outExpert, outExpert, outType, d, f));
                }
            }
            table[l] = layer;
        }
        return table;
    }

    static TensorLocation Whole(SafeTensorsIndex index, string name, int rows, int cols)
    {
        (TensorInfo info, string path, GgmlType type) = Find(index, name, [rows, cols]);
        return new TensorLocation(path, info.FileOffset, info.ByteLength, type, rows, cols);
    }

    static (TensorInfo Info, string Path, GgmlType Type) Find(SafeTensorsIndex index, string name, int[] shape)
    {
        if (!index.Contains(name))
            throw new InvalidModelFileException(Path.Combine(index.Directory, "model.safetensors"), 0,
                $"no tensor '{name}', which config.json implies (routed expert weights)");
        TensorInfo info = index.GetInfo(name);
        string path = Path.Combine(index.Directory, index.GetShardFileName(name));
        if (!info.Shape.SequenceEqual(shape))
            throw new InvalidModelFileException(path, info.HeaderOffset,
                $"tensor '{name}' has shape {info.FormatShape()}, config.json implies [{string.Join(", ", shape)}]");
        GgmlType type = info.DType switch
        {
            TensorDType.F32 => GgmlType.F32,
            TensorDType.F16 => GgmlType.F16,
            TensorDType.BF16 => GgmlType.BF16,
            _ => throw new InvalidModelFileException(path, info.HeaderOffset,
                $"tensor '{name}' is {info.DType}; streamed experts must be F32, F16 or BF16"),
        };
        return (info, path, type);
    }
}
