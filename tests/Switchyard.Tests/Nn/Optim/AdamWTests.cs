using Switchyard.Nn;
using Switchyard.Nn.Optim;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Nn.Optim;

public class AdamWTests
{
    public static TheoryData<SimdWidth> Widths => [SimdWidth.Scalar, SimdWidth.V256, SimdWidth.V512];

    static (string, Parameter)[] MakeParams(Rng rng, out Parameter w, out Parameter b)
    {
        w = new Parameter("weight", new Tensor(Rand.Floats(rng, 37), new Shape(37)));
        b = new Parameter("bias", new Tensor(Rand.Floats(rng, 5), new Shape(5))) { WeightDecay = false };
        return [("a.weight", w), ("a.bias", b)];
    }

    // The definition in double, written out independently of the kernel.
    static void ReferenceStep(double[] p, double[] g, double[] m, double[] v, int t, double lr, double b1, double b2,
        double eps, double wd)
    {
        for (int i = 0; i < p.Length; i++)
        {
            p[i] -= lr * wd * p[i];
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            double mHat = m[i] / (1 - Math.Pow(b1, t));
            double vHat = v[i] / (1 - Math.Pow(b2, t));
            p[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
        }
    }

    [Theory, MemberData(nameof(Widths))]
    public void Step_ThreeSteps_MatchesHandComputedUpdateInDouble(SimdWidth width)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(11);
        var named = MakeParams(rng, out var w, out var b);
        var opt = new AdamW(named, 0.01f, 0.9f, 0.95f, 1e-8f, 0.1f, null, width);
        double[] pw = Rand.ToDouble(w.Value.Span), pb = Rand.ToDouble(b.Value.Span);
        double[] mw = new double[37], vw = new double[37], mb = new double[5], vb = new double[5];
        for (int t = 1; t <= 3; t++)
        {
            float[] gw = Rand.Floats(rng, 37), gb = Rand.Floats(rng, 5);
            gw.CopyTo(w.Grad.Span); gb.CopyTo(b.Grad.Span);
            opt.LearningRate = 0.01f * t;
            opt.Step();
            double lr = opt.LearningRate; // the float the optimizer saw
            ReferenceStep(pw, Rand.ToDouble(gw), mw, vw, t, lr, 0.9f, 0.95f, 1e-8f, 0.1f);
            ReferenceStep(pb, Rand.ToDouble(gb), mb, vb, t, lr, 0.9f, 0.95f, 1e-8f, 0);
            GradCheck.AssertClose(pw, Rand.ToDouble(w.Value.Span), 2e-6, "weight");
            GradCheck.AssertClose(pb, Rand.ToDouble(b.Value.Span), 2e-6, "bias");
        }
        Assert.Equal(3, opt.StepCount);
    }

    [Fact]
    public void Step_EveryWidth_GivesBitIdenticalParameters()
    {
        float[]? expected = null;
        foreach (var width in new[] { SimdWidth.Scalar, SimdWidth.V256, SimdWidth.V512 })
        {
            if (!Simd.IsSupported(width)) continue;
            var rng = new Rng(5);
            var p = new Parameter("weight", new Tensor(Rand.Floats(rng, 100), new Shape(100)));
            var opt = new AdamW([("w", p)], 1e-2f, 0.9f, 0.999f, 1e-8f, 0.01f, null, width);
            for (int t = 0; t < 4; t++)
            {
                Rand.Floats(rng, 100).CopyTo(p.Grad.Span);
                opt.Step();
            }
            if (expected is null) expected = p.Value.ToArray();
            else Assert.Equal(expected, p.Value.ToArray());
        }
    }

    [Fact]
    public void Step_ExcludeFromDecayByName_SkipsDecay()
    {
        var p = new Parameter("weight", new Tensor([1f], new Shape(1)));
        var opt = new AdamW([("model.norm.weight", p)], 0.1f, weightDecay: 0.5f, excludeFromDecay: n => n.EndsWith("norm.weight"));
        Assert.False(opt.IsDecayed(0));
        opt.Step(); // zero gradient: only decay could move it
        Assert.Equal(1f, p.Value[0]);
    }

    [Fact]
    public void Step_FrozenParameter_IsNotManaged()
    {
        var p = new Parameter("weight", new Tensor([1f], new Shape(1))) { Trainable = false };
        var opt = new AdamW([("w", p)]);
        Assert.Empty(opt.ParameterNames);
    }

    [Fact]
    public void ImportState_Exported_ResumesBitIdentically()
    {
        // Given two runs from the same start; one is interrupted after 3 steps and resumed
        var rng = new Rng(3);
        float[] init = Rand.Floats(rng, 50);
        var grads = Enumerable.Range(0, 6).Select(_ => Rand.Floats(rng, 50)).ToArray();
        var a = new Parameter("weight", new Tensor((float[])init.Clone(), new Shape(50)));
        var optA = new AdamW([("w", a)], 0.01f, weightDecay: 0.1f);
        for (int t = 0; t < 6; t++) { grads[t].CopyTo(a.Grad.Span); optA.Step(); }

        var b = new Parameter("weight", new Tensor((float[])init.Clone(), new Shape(50)));
        var optB = new AdamW([("w", b)], 0.01f, weightDecay: 0.1f);
        for (int t = 0; t < 3; t++) { grads[t].CopyTo(b.Grad.Span); optB.Step(); }
        var state = optB.ExportState();
        var c = new Parameter("weight", new Tensor(b.Value.ToArray(), new Shape(50)));
        var optC = new AdamW([("w", c)], 0.01f, weightDecay: 0.1f);
        // When
        optC.ImportState(state);
        for (int t = 3; t < 6; t++) { grads[t].CopyTo(c.Grad.Span); optC.Step(); }
        // Then
        Assert.Equal(6, optC.StepCount);
        Assert.Equal(a.Value.ToArray(), c.Value.ToArray());
    }

    [Fact]
    public void ImportState_WrongSize_ThrowsNamingBuffer()
    {
        var p = new Parameter("weight", new Shape(4));
        var opt = new AdamW([("w", p)]);
        var state = new OptimizerState("adamw", 1, new Dictionary<string, float[]> { ["w.exp_avg"] = new float[3], ["w.exp_avg_sq"] = new float[4] });
        var e = Assert.Throws<SwitchyardException>(() => opt.ImportState(state));
        Assert.Contains("w.exp_avg", e.Message);
        Assert.Equal(0, opt.StepCount);
    }

    [Fact]
    public void ImportState_ExtraBuffer_ThrowsNamingIt()
    {
        var p = new Parameter("weight", new Shape(1));
        var opt = new AdamW([("w", p)]);
        var state = new OptimizerState("adamw", 1, new Dictionary<string, float[]>
        {
            ["w.exp_avg"] = new float[1], ["w.exp_avg_sq"] = new float[1], ["x.exp_avg"] = new float[1],
        });
        Assert.Contains("x.exp_avg", Assert.Throws<SwitchyardException>(() => opt.ImportState(state)).Message);
    }

    [Fact]
    public void ImportState_SgdState_Throws()
    {
        var opt = new AdamW([("w", new Parameter("weight", new Shape(1)))]);
        Assert.Throws<SwitchyardException>(() => opt.ImportState(new OptimizerState("sgd", 0, new Dictionary<string, float[]>())));
    }

    [Fact]
    public void Step_SteadyState_AllocatesNothing()
    {
        var ps = Enumerable.Range(0, 4).Select(i => ($"p{i}", new Parameter("weight", new Shape(33, 7)))).ToArray();
        var opt = new AdamW(ps);
        opt.Step(); opt.ZeroGrad();
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 5; i++) { opt.Step(); opt.ZeroGrad(); }
        }, repeats: 1));
    }

    [Fact]
    public void StateSaveLoad_File_RoundTripsBuffersAndStep()
    {
        var rng = new Rng(21);
        var p = new Parameter("weight", new Tensor(Rand.Floats(rng, 19), new Shape(19)));
        var opt = new AdamW([("model.w", p)]);
        for (int t = 0; t < 2; t++) { Rand.Floats(rng, 19).CopyTo(p.Grad.Span); opt.Step(); }
        string path = Path.Combine(Path.GetTempPath(), $"switchyard-optim-{Guid.NewGuid():N}.safetensors");
        try
        {
            var saved = opt.ExportState();
            saved.Save(path);
            var loaded = OptimizerState.Load(path);
            Assert.Equal("adamw", loaded.Kind);
            Assert.Equal(2, loaded.Step);
            Assert.Equal(saved.Buffers["model.w.exp_avg_sq"], loaded.Buffers["model.w.exp_avg_sq"]);
            new AdamW([("model.w", p)]).ImportState(loaded);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Step_LargeParametersSplitAcrossThreads_MatchesWholeArrayKernelBitForBit()
    {
        // Given parameters large enough for a multi-part step, with boundaries inside tensors
        var rng = new Rng(77);
        int[] sizes = [70001, 33, 65536 + 17];
        var ps = sizes.Select(n => new Parameter("weight", new Tensor(Rand.Floats(rng, n), new Shape(n)))).ToArray();
        var expected = ps.Select(p => p.Value.ToArray()).ToArray();
        var m = sizes.Select(n => new float[n]).ToArray();
        var v = sizes.Select(n => new float[n]).ToArray();
        var opt = new AdamW(ps.Select((p, i) => ($"p{i}", p)), 1e-2f, weightDecay: 0.1f);
        for (int t = 1; t <= 2; t++)
        {
            foreach (var p in ps) Rand.Floats(rng, p.Value.Length).CopyTo(p.Grad.Span);
            // When
            opt.Step();
            // Then: the same as one kernel call per whole tensor
            double bc1 = 1 - Math.Pow(0.9f, t), bc2 = 1 - Math.Pow(0.999f, t);
            for (int i = 0; i < ps.Length; i++)
            {
                OptimizerKernels.AdamW(expected[i], ps[i].Grad.Span, m[i], v[i], (float)(1 - 1e-2f * (double)0.1f),
                    0.9f, 0.999f, 1e-8f, (float)(1e-2f / bc1), (float)Math.Sqrt(bc2), Simd.Best);
                Assert.Equal(expected[i], ps[i].Value.ToArray());
            }
        }
    }
}
