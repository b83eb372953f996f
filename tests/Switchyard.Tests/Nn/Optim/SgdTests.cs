using Switchyard.Nn;
using Switchyard.Nn.Optim;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Nn.Optim;

public class SgdTests
{
    public static TheoryData<SimdWidth, bool> WidthsAndNesterov =>
        new() { { SimdWidth.Scalar, false }, { SimdWidth.Scalar, true }, { SimdWidth.V256, false }, { SimdWidth.V256, true }, { SimdWidth.V512, false }, { SimdWidth.V512, true } };

    [Theory, MemberData(nameof(WidthsAndNesterov))]
    public void Step_MomentumAndDecay_MatchesHandComputedUpdateInDouble(SimdWidth width, bool nesterov)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(17);
        const int n = 41;
        var p = new Parameter("weight", new Tensor(Rand.Floats(rng, n), new Shape(n)));
        const float lr = 0.1f, mu = 0.9f, wd = 0.01f;
        var opt = new Sgd([("w", p)], lr, mu, 0f, nesterov, wd, width);
        double[] x = Rand.ToDouble(p.Value.Span), buf = new double[n];
        for (int t = 0; t < 3; t++)
        {
            float[] g = Rand.Floats(rng, n);
            g.CopyTo(p.Grad.Span);
            opt.Step();
            for (int i = 0; i < n; i++)
            {
                double d = g[i] + (double)wd * x[i];
                buf[i] = t == 0 ? d : (double)mu * buf[i] + d;
                x[i] -= (double)lr * (nesterov ? d + (double)mu * buf[i] : buf[i]);
            }
            GradCheck.AssertClose(x, Rand.ToDouble(p.Value.Span), 1e-6, "weight");
        }
    }

    [Fact]
    public void Step_Dampening_ScalesGradientIntoBufferAfterFirstStep()
    {
        var p = new Parameter("weight", new Tensor([0f], new Shape(1)));
        var opt = new Sgd([("w", p)], learningRate: 1f, momentum: 0.5f, dampening: 0.25f);
        p.Grad.Span[0] = 1f;
        opt.Step(); // buf = 1 (PyTorch: no dampening on the first step)
        Assert.Equal(-1f, p.Value[0]);
        opt.Step(); // buf = 0.5·1 + 0.75·1 = 1.25
        Assert.Equal(-2.25f, p.Value[0]);
    }

    [Fact]
    public void Step_NoMomentum_IsPlainGradientDescent()
    {
        var p = new Parameter("weight", new Tensor([1f, 2f], new Shape(2)));
        var opt = new Sgd([("w", p)], learningRate: 0.5f);
        p.Grad.Span[0] = 1f; p.Grad.Span[1] = -2f;
        opt.Step();
        Assert.Equal([0.5f, 3f], p.Value.ToArray());
    }

    [Fact]
    public void Step_DecayFlagOff_SkipsWeightDecay()
    {
        var p = new Parameter("bias", new Tensor([1f], new Shape(1))) { WeightDecay = false };
        new Sgd([("b", p)], 0.5f, weightDecay: 0.1f).Step();
        Assert.Equal(1f, p.Value[0]);
    }

    [Fact]
    public void Constructor_NesterovWithoutMomentum_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Sgd([], nesterov: true));
    }

    [Fact]
    public void ImportState_Exported_ResumesBitIdentically()
    {
        var rng = new Rng(8);
        float[] init = Rand.Floats(rng, 20);
        var grads = Enumerable.Range(0, 4).Select(_ => Rand.Floats(rng, 20)).ToArray();
        var a = new Parameter("weight", new Tensor((float[])init.Clone(), new Shape(20)));
        var optA = new Sgd([("w", a)], 0.1f, momentum: 0.9f, nesterov: true);
        for (int t = 0; t < 4; t++) { grads[t].CopyTo(a.Grad.Span); optA.Step(); }

        var b = new Parameter("weight", new Tensor((float[])init.Clone(), new Shape(20)));
        var optB = new Sgd([("w", b)], 0.1f, momentum: 0.9f, nesterov: true);
        for (int t = 0; t < 2; t++) { grads[t].CopyTo(b.Grad.Span); optB.Step(); }
        var optC = new Sgd([("w", b)], 0.1f, momentum: 0.9f, nesterov: true);
        optC.ImportState(optB.ExportState());
        for (int t = 2; t < 4; t++) { grads[t].CopyTo(b.Grad.Span); optC.Step(); }
        Assert.Equal(a.Value.ToArray(), b.Value.ToArray());
    }

    [Fact]
    public void Step_SteadyState_AllocatesNothing()
    {
        var p = new Parameter("weight", new Shape(100));
        var opt = new Sgd([("w", p)], 0.1f, momentum: 0.9f);
        opt.Step();
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 5; i++) { opt.Step(); opt.ZeroGrad(); }
        }, repeats: 1));
    }
}
