using System.Runtime.Intrinsics;
using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Tensors.Kernels;

// The row primitives, formerly the row ops' own RowSimd class.
public partial class VectorMathTests
{
    public static TheoryData<SimdWidth> Widths => [SimdWidth.Scalar, SimdWidth.V256, SimdWidth.V512];

    public static TheoryData<SimdWidth, int> WidthsAndLengths()
    {
        var data = new TheoryData<SimdWidth, int>();
        foreach (var w in new[] { SimdWidth.Scalar, SimdWidth.V256, SimdWidth.V512 })
            foreach (int n in new[] { 0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 63, 65, 100, 257 })
                data.Add(w, n);
        return data;
    }

    // The scalar-lane exp (used for tails) needs FMA; the Scalar width uses MathF.Exp instead.
    static float[] ExpAt(SimdWidth width, float[] x)
    {
        var y = new float[x.Length];
        int i = 0;
        if (width == SimdWidth.V512)
            for (; i <= x.Length - 16; i += 16) VectorMath.Exp(Vector512.Create(x, i)).CopyTo(y, i);
        else if (width == SimdWidth.V256)
            for (; i <= x.Length - 8; i += 8) VectorMath.Exp(Vector256.Create(x, i)).CopyTo(y, i);
        for (; i < x.Length; i++) y[i] = VectorMath.Exp(x[i]);
        return y;
    }

    /// <summary>Error of <paramref name="got"/> in units in the last place of the correctly rounded result (subnormal results: of the subnormal spacing).</summary>
    static double Ulps(float got, double exact)
    {
        float rounded = (float)exact;
        double ulp = rounded == 0f ? float.Epsilon : (double)MathF.BitIncrement(Math.Abs(rounded)) - Math.Abs(rounded);
        if (float.IsPositiveInfinity(rounded)) return float.IsPositiveInfinity(got) ? 0 : double.PositiveInfinity;
        return Math.Abs(got - exact) / ulp;
    }

    [Theory, MemberData(nameof(Widths))]
    public void Exp_DenseSweepOverWholeRange_WithinOneAndAHalfUlpOfDouble(SimdWidth width)
    {
        Assert.SkipUnless(width == SimdWidth.Scalar || Simd.IsSupported(width), $"no {width} here");
        // Every representable result region: underflow to 0, subnormals, normals, overflow.
        const int n = 1 << 18;
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -105f + 195f * i / (n - 1);
        float[] y = ExpAt(width, x);
        double worst = 0; float worstX = 0;
        for (int i = 0; i < n; i++)
        {
            double u = Ulps(y[i], Math.Exp(x[i]));
            if (u > worst) { worst = u; worstX = x[i]; }
        }
        // Measured max over a finer sweep: 1.004 ulp (at x ≈ −5.85).
        Assert.True(worst <= 1.5, $"max error {worst:F3} ulp at x = {worstX:R}");
    }

    [Theory, MemberData(nameof(Widths))]
    public void Exp_RandomSoftmaxRange_WithinOneAndAHalfUlpOfDouble(SimdWidth width)
    {
        Assert.SkipUnless(width == SimdWidth.Scalar || Simd.IsSupported(width), $"no {width} here");
        // Softmax feeds x − max ≤ 0, mostly in [−20, 0].
        float[] x = Rand.Floats(new Rng(11), 100_000, scale: 20f);
        for (int i = 0; i < x.Length; i++) x[i] = -Math.Abs(x[i]);
        float[] y = ExpAt(width, x);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Ulps(y[i], Math.Exp(x[i])) <= 1.5, $"exp({x[i]:R}) = {y[i]:R}, expected {Math.Exp(x[i]):R}");
    }

    [Theory, MemberData(nameof(Widths))]
    public void Exp_SpecialValues_MatchIeee(SimdWidth width)
    {
        Assert.SkipUnless(width == SimdWidth.Scalar || Simd.IsSupported(width), $"no {width} here");
        float[] x = [float.NegativeInfinity, -1e30f, -104f, -103.98f, 0f, -0f, 88.72f, 88.8f, 1e30f, float.PositiveInfinity, float.NaN, 1f,
                     float.MinValue, -200f, 50f, -50f];
        float[] y = ExpAt(width, x);
        Assert.Equal(0f, y[0]); // masked logits: exactly 0, not NaN
        Assert.Equal(0f, y[1]);
        Assert.Equal(0f, y[2]);
        Assert.Equal(0f, y[3]);
        Assert.Equal(1f, y[4]); // a row of equal logits gives exactly equal probabilities
        Assert.Equal(1f, y[5]);
        Assert.True(float.IsFinite(y[6]), $"exp(88.72) = {y[6]}");
        Assert.Equal(float.PositiveInfinity, y[7]);
        Assert.Equal(float.PositiveInfinity, y[8]);
        Assert.Equal(float.PositiveInfinity, y[9]);
        Assert.True(float.IsNaN(y[10]));
        Assert.Equal(MathF.E, y[11]);
        Assert.Equal(0f, y[12]);
        Assert.Equal(0f, y[13]);
    }

    [Theory, MemberData(nameof(WidthsAndLengths))]
    public void ExpShiftStore_MatchesDouble(SimdWidth width, int n)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        float[] x = Rand.Floats(new Rng((ulong)(n + 1)), n, scale: 5f);
        var y = new float[n];
        float sum = VectorMath.ExpShiftStore(x, 1.5f, y, width);
        double expected = 0;
        for (int i = 0; i < n; i++)
        {
            double e = Math.Exp(x[i] - 1.5f); // the kernel subtracts in float: same argument
            expected += e;
            Assert.Equal(e, y[i], 2e-7 * e);
        }
        Assert.Equal(expected, sum, 1e-6 * (1 + expected));
        Assert.Equal(sum, VectorMath.ExpShiftSum(x, 1.5f, width));
    }

    [Theory, MemberData(nameof(WidthsAndLengths))]
    public void MaxSumDot_MatchReference(SimdWidth width, int n)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng((ulong)(n + 100));
        float[] a = Rand.Floats(rng, n, 3f), b = Rand.Floats(rng, n, 3f);
        double sum = 0, dot = 0; float max = float.NegativeInfinity;
        for (int i = 0; i < n; i++) { sum += a[i]; dot += (double)a[i] * b[i]; max = Math.Max(max, a[i]); }
        Assert.Equal(max, VectorMath.Max(a, width));
        Assert.Equal(sum, VectorMath.Sum(a, width), 1e-5 * (1 + n));
        Assert.Equal(dot, VectorMath.Dot(a, b, width), 1e-5 * (1 + n));
    }

    [Theory, MemberData(nameof(WidthsAndLengths))]
    public void ScaleAndAddScaled_MatchReference(SimdWidth width, int n)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng((ulong)(n + 200));
        float[] x = Rand.Floats(rng, n), y = Rand.Floats(rng, n);
        float[] scaled = (float[])y.Clone(), added = (float[])y.Clone(), plus = (float[])y.Clone();
        VectorMath.Scale(scaled, 0.75f, width);
        VectorMath.AddScaled(x, -1.25f, added, width);
        VectorMath.AddScaled(x, 1f, plus, width);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(y[i] * 0.75f, scaled[i]);
            Assert.Equal(y[i] - 1.25 * x[i], added[i], 1e-6);
            Assert.Equal(y[i] + x[i], plus[i]); // unweighted adds are exact adds
        }
    }
}
