using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// The feed-forward factories a <see cref="DecoderModel"/> is built with. <see cref="Default"/>
/// is what a model gets when none is given; the Experts layer's MoE block plugs in through
/// <see cref="WithMoe"/> (and becomes the MoE branch of <see cref="Default"/> once it exists).
/// </summary>
public static class FeedForwardBlocks
{
    /// <summary>A dense SwiGLU MLP of width <c>intermediate_size</c>, whatever the layer's kind (for dense configs and tests).</summary>
    public static FeedForwardBlock Dense(int layer, ModelConfig config, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new DenseFeedForward(config.HiddenSize, config.IntermediateSize, rng, (float)config.InitializerRange);
    }

    /// <summary>
    /// Dense layers as <see cref="Dense"/>; MoE layers (<see cref="ModelConfig.LayerKind"/>) are not
    /// built here yet and throw, so that an MoE config never silently becomes a dense model.
    /// </summary>
    /// <exception cref="NotSupportedException">The layer is MoE: build the model with <see cref="WithMoe"/>.</exception>
    public static FeedForwardBlock Default(int layer, ModelConfig config, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.LayerKind(layer) == FeedForwardKind.Dense) return Dense(layer, config, rng);
        throw new NotSupportedException(
            $"layer {layer} of this {config.ModelType} config is MoE; build the model with FeedForwardBlocks.WithMoe(<an MoE block factory from Switchyard.Experts>)");
    }

    /// <summary>A factory that builds MoE layers with <paramref name="moe"/> and dense layers as <see cref="Dense"/>.</summary>
    public static FeedForwardFactory WithMoe(FeedForwardFactory moe)
    {
        ArgumentNullException.ThrowIfNull(moe);
        return (layer, config, rng) => config.LayerKind(layer) == FeedForwardKind.Moe ? moe(layer, config, rng) : Dense(layer, config, rng);
    }
}
