using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;
using static Switchyard.Tests.Tensors.Kernels.ActivationTestSupport;

namespace Switchyard.Tests.Tensors.Kernels;

public class SwiGluTests
{
    public static TheoryData<SimdWidth, int> Cases => WidthsAndLengths();

    [Theory, MemberData(nameof(Cases))]
    public void Forward_EachWidth_MatchesFloat64Reference(SimdWidth width, int n)
    {
        SkipUnsupported(width);
        var rng = new Rng(31);
        float[] gate = Rand.Floats(rng, n, 10f), up = Rand.Floats(rng, n, 3f), y = new float[n];
        double[] expected = new double[n];
        SwiGlu.ReferenceForward<double>(Rand.ToDouble(gate), Rand.ToDouble(up), expected);

        SwiGlu.Forward(gate, up, y, width, threads: 1);

        AssertWithin(expected, y, i => 6e-7 * Math.Abs(expected[i]) + 1e-38, "y");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Backward_EachWidth_AccumulatesReferenceGradients(SimdWidth width, int n)
    {
        SkipUnsupported(width);
        var rng = new Rng(32);
        float[] gate = Rand.Floats(rng, n, 10f), up = Rand.Floats(rng, n, 3f), dy = Rand.Floats(rng, n);
        float[] dGate = Rand.Floats(rng, n), dUp = Rand.Floats(rng, n);
        double[] wantGate = Rand.ToDouble(dGate), wantUp = Rand.ToDouble(dUp);
        SwiGlu.ReferenceBackward<double>(Rand.ToDouble(gate), Rand.ToDouble(up), Rand.ToDouble(dy), wantGate, wantUp);

        SwiGlu.Backward(gate, up, dy, dGate, dUp, width, threads: 1);

        AssertWithin(wantGate, dGate, i => 1e-6 * (Math.Abs(wantGate[i]) + Math.Abs(dy[i] * up[i])), "dGate");
        AssertWithin(wantUp, dUp, i => 1e-6 * (Math.Abs(wantUp[i]) + Math.Abs(dy[i] * gate[i])), "dUp");
    }

    [Fact]
    public void ReferenceBackward_MatchesCentralDifferences_InFloat64()
    {
        var rng = new Rng(33);
        int n = 30;
        double[] gate = Rand.Doubles(rng, n, 6), up = Rand.Doubles(rng, n, 2), w = Rand.Doubles(rng, n);
        double[] dGate = new double[n], dUp = new double[n];
        SwiGlu.ReferenceBackward<double>(gate, up, w, dGate, dUp);
        double Loss(double[] g, double[] u)
        {
            var y = new double[n];
            SwiGlu.ReferenceForward<double>(g, u, y);
            return GradCheck.Dot(w, y);
        }
        GradCheck.AssertClose(GradCheck.Numeric(g => Loss(g, up), gate), dGate, 1e-6, "dGate");
        GradCheck.AssertClose(GradCheck.Numeric(u => Loss(gate, u), up), dUp, 1e-6, "dUp");
    }

    [Fact]
    public void Forward_OutputAliasesInput_EqualsOutOfPlace()
    {
        var rng = new Rng(34);
        float[] gate = Rand.Floats(rng, 77, 5f), up = Rand.Floats(rng, 77), y = new float[77];
        SwiGlu.Forward(gate, up, y);
        float[] inGate = (float[])gate.Clone(), inUp = (float[])up.Clone();
        SwiGlu.Forward(inGate, up, inGate);
        SwiGlu.Forward(gate, inUp, inUp);
        AssertBitIdentical(y, inGate, "y over gate");
        AssertBitIdentical(y, inUp, "y over up");
    }

    [Fact]
    public void ForwardAndBackward_ManyThreads_BitIdenticalToOneThread()
    {
        int n = 4 * ElementwiseLoop.MinElementsPerPart + 9;
        var rng = new Rng(35);
        float[] gate = Rand.Floats(rng, n, 6f), up = Rand.Floats(rng, n), dy = Rand.Floats(rng, n);
        float[] y1 = new float[n], dg1 = new float[n], du1 = new float[n];
        SwiGlu.Forward(gate, up, y1, Simd.Best, threads: 1);
        SwiGlu.Backward(gate, up, dy, dg1, du1, Simd.Best, threads: 1);
        for (int run = 0; run < 2; run++)
        {
            float[] y4 = new float[n], dg4 = new float[n], du4 = new float[n];
            SwiGlu.Forward(gate, up, y4, Simd.Best, threads: 4);
            SwiGlu.Backward(gate, up, dy, dg4, du4, Simd.Best, threads: 4);
            AssertBitIdentical(y1, y4, "y");
            AssertBitIdentical(dg1, dg4, "dGate");
            AssertBitIdentical(du1, du4, "dUp");
        }
    }

    [Fact]
    public void ForwardAndBackward_LengthsDiffer_Throw()
    {
        float[] a = new float[4], b = new float[3];
        Assert.Equal("up", Assert.Throws<ArgumentException>(() => SwiGlu.Forward(a, b, a)).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => SwiGlu.Forward(a, a, b)).ParamName);
        Assert.Equal("dy", Assert.Throws<ArgumentException>(() => SwiGlu.Backward(a, a, b, a, a)).ParamName);
        Assert.Equal("dGate", Assert.Throws<ArgumentException>(() => SwiGlu.Backward(a, a, a, b, a)).ParamName);
        Assert.Equal("dUp", Assert.Throws<ArgumentException>(() => SwiGlu.Backward(a, a, a, a, b)).ParamName);
    }
}
