namespace Switchyard.Inference;

/// <summary>Outcome of replaying an expert access trace through a cache of a given size.</summary>
/// <param name="Policy">The policy's <see cref="IExpertCachePolicy.Name"/>.</param>
/// <param name="Slots">Experts the cache holds at once.</param>
/// <param name="Requests">Trace length.</param>
/// <param name="Hits">Requests served from the cache.</param>
/// <param name="Misses">Requests that read the expert in (first uses included).</param>
/// <param name="BytesRead">Misses × bytes per expert.</param>
public sealed record CacheReplayResult(string Policy, int Slots, long Requests, long Hits, long Misses, long BytesRead)
{
    /// <summary>Hits / requests (0 for an empty trace).</summary>
    public double HitRate => Requests == 0 ? 0 : (double)Hits / Requests;
}
