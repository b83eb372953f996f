using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// Builds the feed-forward block of decoder layer <paramref name="layer"/> of a model with
/// configuration <paramref name="config"/>, drawing initial weights from <paramref name="rng"/>.
/// </summary>
public delegate FeedForwardBlock FeedForwardFactory(int layer, ModelConfig config, Rng rng);
