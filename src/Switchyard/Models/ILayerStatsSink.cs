namespace Switchyard.Models;

/// <summary>
/// Receives each feed-forward block right after its forward pass, so a metrics writer can read
/// per-layer routing statistics (an MoE block exposes its router's statistics) without the model
/// knowing what they are. Called on the forward thread; must not keep references past the step.
/// </summary>
public interface ILayerStatsSink
{
    /// <summary>Layer <paramref name="layer"/>'s block has just run on <paramref name="rows"/> tokens.</summary>
    void OnFeedForward(int layer, FeedForwardBlock block, int rows);
}
