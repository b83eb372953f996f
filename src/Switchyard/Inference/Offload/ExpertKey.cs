namespace Switchyard.Inference;

/// <summary>One routed expert of one MoE layer: the unit an expert cache holds and an access trace records.</summary>
/// <param name="Layer">Decoder layer index.</param>
/// <param name="Expert">Expert index within the layer.</param>
public readonly record struct ExpertKey(int Layer, int Expert)
{
    /// <inheritdoc/>
    public override string ToString() => $"({Layer}, {Expert})";
}
