using Switchyard.Tensors;

namespace Switchyard.Models;

// GGUF support needs a model whose Config is the file's configuration while its weights are not
// drawn (GgufCheckpoint overwrites them), as FromPretrained does.
public sealed partial class DecoderModel
{
    /// <summary>A model for <paramref name="config"/> whose weights are left zero, to be filled by a loader.</summary>
    internal static DecoderModel CreateUninitialized(ModelConfig config, FeedForwardFactory? feedForward) =>
        new(config with { InitializerRange = 0 }, new Rng(0), feedForward) { Config = config };
}
