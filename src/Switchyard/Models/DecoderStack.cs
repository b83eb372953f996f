using Switchyard.Nn;
using Switchyard.Nn.Layers;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// The <c>model</c> child of a causal LM: <c>embed_tokens</c>, <c>layers</c>.{i}, <c>norm</c>
/// (transformers' <c>LlamaModel</c>, <c>MixtralModel</c>, …).
/// </summary>
public sealed class DecoderStack : Module
{
    /// <summary>Builds the stack for <paramref name="config"/>, each layer's feed-forward from <paramref name="feedForward"/>.</summary>
    public DecoderStack(ModelConfig config, FeedForwardFactory feedForward, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(feedForward);
        EmbedTokens = AddModule("embed_tokens", new Embedding(config.VocabSize, config.HiddenSize, rng, (float)config.InitializerRange));
        Layers = AddModule("layers", new ModuleList<DecoderLayer>());
        for (int i = 0; i < config.NumHiddenLayers; i++)
            Layers.Add(new DecoderLayer(i, config, feedForward, rng));
        Norm = AddModule("norm", new RmsNorm(config.HiddenSize, (float)config.RmsNormEps));
    }

    /// <summary>Token embeddings, [vocab, d].</summary>
    public Embedding EmbedTokens { get; }

    /// <summary>The decoder layers.</summary>
    public ModuleList<DecoderLayer> Layers { get; }

    /// <summary>Final norm.</summary>
    public RmsNorm Norm { get; }
}
