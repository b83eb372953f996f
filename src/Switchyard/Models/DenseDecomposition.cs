using System.Text.Json;
using Switchyard.Nn.Layers;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// Union of Experts' equivalent decomposition as a model conversion (<c>"init": { "conversion": "decompose-dense" }</c>,
/// shared/specs/token-routers.md §9): a dense model's SwiGLU MLPs become the slice experts of a <see cref="UoeFeedForward"/>
/// model of the same shapes, exactly (the slices are views of the copied dense weights, so all slices on with unit
/// gates computes the dense MLP). Attention, norms and embeddings are copied by name; routers keep their initialisation.
/// </summary>
public static class DenseDecomposition
{
    /// <summary>The conversion's name in <see cref="ModelConversions"/>.</summary>
    public const string Name = "decompose-dense";

    /// <summary>Copies <paramref name="source"/> (dense) into <paramref name="target"/> (UoE slices in the same layers).</summary>
    /// <exception cref="InvalidConfigException">Options given, a target UoE layer whose source layer is not a dense MLP of width E·w, or no UoE layer.</exception>
    public static void DecomposeDense(DecoderModel source, DecoderModel target, JsonElement? options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (options is { } o) throw new InvalidConfigException(null, "init.options", $"null (\"{Name}\" takes no options)", o.GetRawText());
        if (source.Layers.Count != target.Layers.Count)
            throw new InvalidConfigException(null, "init", $"a source model of {target.Layers.Count} layers like the target", $"{source.Layers.Count} layers");
        ModelConversions.CopyByName(source, target, null, rng);
        int converted = 0;
        for (int i = 0; i < target.Layers.Count; i++)
        {
            if (target.Layers[i].FeedForward is not UoeFeedForward uoe) continue;
            var slices = uoe.Slices;
            int width = slices.Experts * slices.Width;
            if (source.Layers[i].FeedForward is not DenseFeedForward { GateProj: Linear gate, UpProj: Linear up, DownProj: Linear down } dense || dense.IntermediateSize != width)
                throw new InvalidConfigException(null, "init", $"layer {i} of the source: a dense SwiGLU MLP of width {width} (= slices·slice_width)",
                    source.Layers[i].FeedForward is DenseFeedForward d ? $"width {d.IntermediateSize}" : source.Layers[i].FeedForward.GetType().Name);
            gate.Weight.Value.Span.CopyTo(slices.GateProj.Weight.Value.Span);
            up.Weight.Value.Span.CopyTo(slices.UpProj.Weight.Value.Span);
            down.Weight.Value.Span.CopyTo(slices.DownProj.Weight.Value.Span);
            converted++;
        }
        if (converted == 0) throw new InvalidConfigException(null, "init", $"a target with \"{UoeFeedForward.BlockName}\" blocks", "none");
    }
}
