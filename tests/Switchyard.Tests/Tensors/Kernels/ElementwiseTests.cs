using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;
using static Switchyard.Tests.Tensors.Kernels.ElementwiseTestData;

namespace Switchyard.Tests.Tensors.Kernels;

public class ElementwiseTests
{
    public static TheoryData<SimdWidth, int> Cases() => WidthsAndLengths();

    [Theory, MemberData(nameof(Cases))]
    public void Arithmetic_EachWidth_MatchesReference(SimdWidth width, int n)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(11);
        float[] a = Rand.Floats(rng, n), b = Rand.Floats(rng, n), y = new float[n];
        double[] e = new double[n];

        Elementwise.Add(a, b, y, width);
        for (int i = 0; i < n; i++) e[i] = (double)a[i] + b[i];
        AssertClose(e, y);

        Elementwise.Subtract(a, b, y, width);
        for (int i = 0; i < n; i++) e[i] = (double)a[i] - b[i];
        AssertClose(e, y);

        Elementwise.Multiply(a, b, y, width);
        Elementwise.ReferenceMultiply<double>(Rand.ToDouble(a), Rand.ToDouble(b), e);
        AssertClose(e, y);

        Elementwise.MultiplyAccumulate(a, b, y, width); // y = a·b + a·b
        for (int i = 0; i < n; i++) e[i] *= 2;
        AssertClose(e, y);

        Elementwise.Scale(a, -1.5f, y, width);
        for (int i = 0; i < n; i++) e[i] = -1.5 * a[i];
        AssertClose(e, y);

        Elementwise.Accumulate(b, y, 0.25f, width);
        for (int i = 0; i < n; i++) e[i] += 0.25 * b[i];
        AssertClose(e, y);
    }

    [Theory, MemberData(nameof(Cases))]
    public void AddRowBroadcast_EachWidth_MatchesReference(SimdWidth width, int cols)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        var rng = new Rng(12);
        const int rows = 3;
        float[] x = Rand.Floats(rng, rows * cols), bias = Rand.Floats(rng, cols), y = new float[rows * cols];
        var e = new double[rows * cols];
        Elementwise.AddRowBroadcast(x, bias, y, rows, cols, width);
        Elementwise.ReferenceAddRowBroadcast<double>(Rand.ToDouble(x), Rand.ToDouble(bias), e, rows, cols);
        AssertClose(e, y);
    }

    [Fact]
    public void MultiplyBackward_MatchesCentralDifferences_InFloat64()
    {
        var rng = new Rng(13);
        const int n = 37;
        double[] a = Rand.Doubles(rng, n), b = Rand.Doubles(rng, n), dy = Rand.Doubles(rng, n);
        double[] da = new double[n], db = new double[n], y = new double[n];
        Elementwise.ReferenceMultiplyBackward<double>(a, b, dy, da, db);
        GradCheck.AssertClose(GradCheck.Numeric(v => { Elementwise.ReferenceMultiply<double>(v, b, y); return GradCheck.Dot(dy, y); }, a), da);
        GradCheck.AssertClose(GradCheck.Numeric(v => { Elementwise.ReferenceMultiply<double>(a, v, y); return GradCheck.Dot(dy, y); }, b), db);
    }

    [Fact]
    public void Add_MismatchedLengths_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => Elementwise.Add(new float[3], new float[4], new float[3]));
        Assert.Contains("4", e.Message);
        Assert.Throws<ArgumentException>(() => Elementwise.Multiply(new float[3], new float[3], new float[2]));
        Assert.Throws<ArgumentException>(() => Elementwise.Accumulate(new float[3], new float[2]));
        Assert.Throws<ArgumentException>(() => Elementwise.AddRowBroadcast(new float[6], new float[2], new float[6], 2, 3));
    }
}
