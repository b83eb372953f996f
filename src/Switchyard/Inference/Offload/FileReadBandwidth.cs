namespace Switchyard.Inference;

/// <summary>Measured sequential read bandwidth of one file (<see cref="BandwidthProbe.MeasureFileRead"/>).</summary>
/// <param name="Path">The file read.</param>
/// <param name="Bytes">Bytes read per pass.</param>
/// <param name="BlockBytes">Bytes per read call.</param>
/// <param name="FirstGBps">First pass, in GB/s (10⁹ bytes/s): the disk, unless the OS page cache already held the file.</param>
/// <param name="WarmGBps">Second pass over the same bytes: usually the page cache, when it had room.</param>
public sealed record FileReadBandwidth(string Path, long Bytes, int BlockBytes, double FirstGBps, double WarmGBps)
{
    /// <summary>
    /// Whether the two passes are close (within 25%): then the first pass was most likely served from
    /// the page cache too (or the cache could not hold the bytes), and <see cref="FirstGBps"/> is not a cold-disk figure.
    /// </summary>
    public bool LikelyCachedBothTimes => FirstGBps >= 0.75 * WarmGBps;
}
