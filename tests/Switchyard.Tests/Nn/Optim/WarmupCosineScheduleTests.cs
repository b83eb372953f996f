using Switchyard.Nn;
using Switchyard.Nn.Optim;
using Switchyard.Tensors;

namespace Switchyard.Tests.Nn.Optim;

public class WarmupCosineScheduleTests
{
    readonly WarmupCosineSchedule _s = new(peakLearningRate: 1e-3, warmupSteps: 10, totalSteps: 110, minLearningRate: 1e-4);

    [Fact]
    public void At_StepZero_IsZero() => Assert.Equal(0.0, _s.At(0));

    [Fact]
    public void At_DuringWarmup_IsLinear() => Assert.Equal(0.5e-3, _s.At(5), 1e-15);

    [Fact]
    public void At_EndOfWarmup_IsPeak() => Assert.Equal(1e-3, _s.At(10), 1e-15);

    [Fact]
    public void At_Midpoint_IsMeanOfPeakAndMin() => Assert.Equal(0.55e-3, _s.At(60), 1e-15);

    [Fact]
    public void At_End_IsMin() => Assert.Equal(1e-4, _s.At(110), 1e-15);

    [Fact]
    public void At_PastEnd_StaysAtMin() => Assert.Equal(1e-4, _s.At(1000));

    [Fact]
    public void At_DecayPhase_IsMonotone()
    {
        for (long s = 10; s < 110; s++) Assert.True(_s.At(s + 1) <= _s.At(s));
    }

    [Fact]
    public void At_NoWarmup_StartsAtPeak() => Assert.Equal(2.0, new WarmupCosineSchedule(2, 0, 10).At(0));

    [Fact]
    public void Constructor_MinAbovePeak_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupCosineSchedule(1, 0, 10, 2));

    [Fact]
    public void Apply_Optimizer_SetsRateForItsNextStep()
    {
        var opt = new Sgd([("w", new Parameter("weight", new Shape(1)))]);
        _s.Apply(opt);
        Assert.Equal(0f, opt.LearningRate);
        for (int i = 0; i < 10; i++) opt.Step();
        _s.Apply(opt);
        Assert.Equal(1e-3f, opt.LearningRate);
    }
}
