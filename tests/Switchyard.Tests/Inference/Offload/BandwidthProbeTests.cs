using Switchyard.Inference;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Inference.Offload;

public sealed class BandwidthProbeTests
{
    // Values depend on the machine (and on other builds running here): only sanity is tested.
    [Fact]
    public void MeasureMemoryReadGBps_SmallBuffer_PositiveAndFinite()
    {
        double gbps = BandwidthProbe.MeasureMemoryReadGBps(bufferBytes: 1 << 20, repetitions: 2, threads: 2);
        Assert.True(gbps > 0 && double.IsFinite(gbps), $"{gbps}");
    }

    [Fact]
    public void MeasureFileRead_ReadsUpToTheCap_TwoPasses()
    {
        using var dir = new TempDirectory();
        string file = dir.File("data.bin");
        File.WriteAllBytes(file, new byte[3 << 20]);
        FileReadBandwidth r = BandwidthProbe.MeasureFileRead(file, blockBytes: 1 << 16, maxBytes: 2 << 20);
        Assert.Equal(2 << 20, r.Bytes);
        Assert.Equal(1 << 16, r.BlockBytes);
        Assert.True(r.FirstGBps > 0 && r.WarmGBps > 0);
    }

    [Fact]
    public void MeasureMemoryReadGBps_BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => BandwidthProbe.MeasureMemoryReadGBps(100));
        Assert.Throws<ArgumentOutOfRangeException>(() => BandwidthProbe.MeasureMemoryReadGBps(1 << 20, 0));
    }
}
