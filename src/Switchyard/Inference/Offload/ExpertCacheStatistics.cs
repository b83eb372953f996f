namespace Switchyard.Inference;

/// <summary>
/// What an expert cache did since it was created or its statistics were reset: a snapshot, taken by
/// <see cref="StreamingExpertSource.Statistics"/>. Requests = hits + misses; every miss read one expert.
/// </summary>
/// <param name="Requests">Calls of <see cref="IExpertWeightSource.Get"/>.</param>
/// <param name="Hits">Requests served from the pool without I/O.</param>
/// <param name="Misses">Requests that read the expert from its file.</param>
/// <param name="BytesRead">Bytes read from files (misses, and experts loaded by <see cref="StreamingExpertSource.Pin"/>).</param>
/// <param name="ReadSeconds">Wall time spent in those reads.</param>
/// <param name="Layers">Per MoE layer, in layer order.</param>
public sealed record ExpertCacheStatistics(long Requests, long Hits, long Misses, long BytesRead, double ReadSeconds,
    IReadOnlyList<LayerCacheStatistics> Layers)
{
    /// <summary>Hits / requests (0 before the first request).</summary>
    public double HitRate => Requests == 0 ? 0 : (double)Hits / Requests;

    /// <summary>Achieved read bandwidth in GB/s (10⁹ bytes per second; 0 before the first read).</summary>
    public double ReadGBps => ReadSeconds > 0 ? BytesRead / ReadSeconds / 1e9 : 0;
}
