using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Nn;

namespace Switchyard.Models;

/// <summary>
/// The feed-forward of a decoder layer, pluggable: the dense SwiGLU MLP
/// (<see cref="DenseFeedForward"/>) or an MoE block from the Experts layer. The decoder layer
/// registers it under its architecture's name (<c>mlp</c>, or <c>block_sparse_moe</c> for
/// Mixtral/Granite MoE layers), so the block's own children complete the Hugging Face names.
/// </summary>
public abstract class FeedForwardBlock : Module
{
    /// <summary>Model width d: the block maps [rows, d] to [rows, d].</summary>
    public abstract int HiddenSize { get; }

    /// <summary>
    /// Maps the normalised hidden states <paramref name="x"/> [rows, d] to [rows, d].
    /// Auxiliary losses go to <paramref name="context"/>.<see cref="LayerContext.Losses"/>.
    /// </summary>
    public abstract Var Forward(Tape tape, Var x, in LayerContext context);

    /// <summary>
    /// The routed MoE layers inside this block, in call order (none for a dense block; one for
    /// <see cref="MoeFeedForward"/>; several for blocks that route more than once): the trainer reads their
    /// statistics and runs their balancers' after-step updates.
    /// </summary>
    public virtual IEnumerable<MoeLayer> RoutedLayers => [];
}
