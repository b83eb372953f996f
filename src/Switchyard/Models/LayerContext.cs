using Switchyard.Routing;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// What a feed-forward block may know besides its input rows: the token ids and positions of
/// those rows, the batch layout, its layer, whether this is a training step, the model's random
/// source, and where to report auxiliary losses. Rows are the flattened batch, row = b·seq + t.
/// </summary>
/// <param name="TokenIds">Token id of each row, [batch·seq] (hash routing needs it); valid until the tape is reset.</param>
/// <param name="Positions">Position of each row inside its sequence, [batch·seq].</param>
/// <param name="Batch">Number of sequences.</param>
/// <param name="Seq">Tokens per sequence.</param>
/// <param name="Layer">Index of the decoder layer (0-based).</param>
/// <param name="Training">Whether this is a training step (noise, jitter, load counting for bias balancers).</param>
/// <param name="Rng">The model's random source for training-time noise (deterministic for a seed).</param>
/// <param name="Losses">Where the block adds its auxiliary losses; the model sums them into the training loss.</param>
/// <param name="Routing">
/// The model's routing context, already set for this layer (token ids, positions, sequence length,
/// layer, training flag, random source) plus whatever side information the caller put on
/// <see cref="DecoderModel.RoutingContext"/> (task, language ids, forced routing); pass it to a router as is.
/// </param>
public readonly record struct LayerContext(
    ReadOnlyMemory<int> TokenIds, ReadOnlyMemory<int> Positions, int Batch, int Seq, int Layer, bool Training, Rng Rng,
    AuxiliaryLosses Losses, RoutingContext Routing)
{
    /// <summary>Rows in the batch, batch·seq.</summary>
    public int Rows => Batch * Seq;
}
