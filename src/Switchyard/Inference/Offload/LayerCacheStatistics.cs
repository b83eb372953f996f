namespace Switchyard.Inference;

/// <summary>Expert cache requests and hits of one MoE layer.</summary>
/// <param name="Layer">Decoder layer index.</param>
/// <param name="Requests">Requests for this layer's experts.</param>
/// <param name="Hits">Of those, served from the pool.</param>
public sealed record LayerCacheStatistics(int Layer, long Requests, long Hits)
{
    /// <summary>Requests that read the expert in.</summary>
    public long Misses => Requests - Hits;

    /// <summary>Hits / requests (0 when the layer had none).</summary>
    public double HitRate => Requests == 0 ? 0 : (double)Hits / Requests;
}
