namespace Switchyard.Inference;

/// <summary>Stored bytes of one decoder layer's weights, by the part they play (<see cref="ModelFootprint"/>).</summary>
/// <param name="Layer">Decoder layer index.</param>
/// <param name="AttentionBytes">Attention projections, their biases and q/k norms, and the layer's RMSNorms: everything not in the feed-forward block.</param>
/// <param name="RouterBytes">The router (gate) of an MoE layer.</param>
/// <param name="SharedExpertBytes">Shared experts applied to every token, with their gate (Qwen2-MoE).</param>
/// <param name="DenseFeedForwardBytes">The MLP of a dense layer.</param>
/// <param name="Experts">Routed experts (0 in a dense layer).</param>
/// <param name="ExpertBytes">The largest routed expert: gate, up and down together.</param>
/// <param name="RoutedExpertBytes">All routed experts together.</param>
public sealed record LayerFootprint(int Layer, long AttentionBytes, long RouterBytes, long SharedExpertBytes, long DenseFeedForwardBytes,
    int Experts, long ExpertBytes, long RoutedExpertBytes)
{
    /// <summary>Whether the layer has routed experts.</summary>
    public bool IsMoe => Experts > 0;

    /// <summary>Everything but the routed experts.</summary>
    public long NonExpertBytes => AttentionBytes + RouterBytes + SharedExpertBytes + DenseFeedForwardBytes;
}
