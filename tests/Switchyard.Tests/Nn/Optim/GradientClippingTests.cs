using Switchyard.Nn;
using Switchyard.Nn.Optim;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Nn.Optim;

public class GradientClippingTests
{
    public static TheoryData<SimdWidth> Widths => [SimdWidth.Scalar, SimdWidth.V256, SimdWidth.V512];

    static Parameter[] Make(Rng rng, float scale)
    {
        var ps = new[] { new Parameter("a", new Shape(37)), new Parameter("b", new Shape(3, 5)), new Parameter("c", new Shape(64)) };
        foreach (var p in ps) Rand.Floats(rng, p.Value.Length, scale).CopyTo(p.Grad.Span);
        return ps;
    }

    static double Norm(Parameter[] ps) => Math.Sqrt(ps.Sum(p => p.Grad.ToArray().Sum(v => (double)v * v)));

    [Theory, MemberData(nameof(Widths))]
    public void ClipGlobalNorm_AboveMax_ReturnsPreClipNormAndScalesToMax(SimdWidth width)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var ps = Make(new Rng(1), 3f);
        double before = Norm(ps);
        double returned = GradientClipping.ClipGlobalNorm(ps, 1.0, width);
        Assert.Equal(before, returned, 1e-12 * before);
        Assert.Equal(1.0, Norm(ps), 1e-6);
    }

    [Fact]
    public void ClipGlobalNorm_BelowMax_LeavesGradientsUntouched()
    {
        var ps = Make(new Rng(2), 0.01f);
        var copy = ps.Select(p => p.Grad.ToArray()).ToArray();
        double n = GradientClipping.ClipGlobalNorm(ps, 10.0);
        Assert.True(n < 10);
        for (int i = 0; i < ps.Length; i++) Assert.Equal(copy[i], ps[i].Grad.ToArray());
    }

    [Fact]
    public void ClipGlobalNorm_FrozenParameter_IgnoredAndUnchanged()
    {
        var ps = Make(new Rng(3), 3f);
        ps[2].Trainable = false;
        var frozen = ps[2].Grad.ToArray();
        double expected = Math.Sqrt(ps[..2].Sum(p => p.Grad.ToArray().Sum(v => (double)v * v)));
        Assert.Equal(expected, GradientClipping.ClipGlobalNorm(ps, 0.5), 1e-9);
        Assert.Equal(frozen, ps[2].Grad.ToArray());
    }

    [Fact]
    public void ClipGlobalNorm_NonFinite_ReturnsItAndLeavesGradients()
    {
        var ps = Make(new Rng(4), 1f);
        ps[0].Grad.Span[3] = float.NaN;
        var copy = ps[1].Grad.ToArray();
        Assert.True(double.IsNaN(GradientClipping.ClipGlobalNorm(ps, 0.1)));
        Assert.Equal(copy, ps[1].Grad.ToArray());
    }

    [Fact]
    public void ClipGlobalNorm_SteadyState_AllocatesNothing()
    {
        var ps = Make(new Rng(5), 1f);
        GradientClipping.ClipGlobalNorm(ps, 1.0);
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 5; i++) GradientClipping.ClipGlobalNorm(ps, 1.0);
        }, repeats: 1));
    }
}
