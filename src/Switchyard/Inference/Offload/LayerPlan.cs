namespace Switchyard.Inference;

/// <summary>What a <see cref="MemoryPlan"/> keeps resident of one MoE layer's routed experts.</summary>
/// <param name="Layer">Decoder layer index.</param>
/// <param name="Experts">Routed experts in the layer.</param>
/// <param name="ResidentExperts">Pool slots the plan counts for this layer (the pool is shared; this is the even split).</param>
/// <param name="ExpertBytes">Bytes of one expert.</param>
public sealed record LayerPlan(int Layer, int Experts, int ResidentExperts, long ExpertBytes)
{
    /// <summary>Expected hit rate under uniform routing: the resident fraction, <see cref="ResidentExperts"/> / <see cref="Experts"/>.</summary>
    public double ExpectedHitRate => (double)ResidentExperts / Experts;
}
