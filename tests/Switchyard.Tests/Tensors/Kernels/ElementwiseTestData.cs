using Switchyard.Tensors;

namespace Switchyard.Tests.Tensors.Kernels;

/// <summary>Widths × odd lengths shared by the elementwise kernel tests: every vector tail.</summary>
internal static class ElementwiseTestData
{
    static readonly int[] Lengths = [0, 1, 3, 7, 15, 16, 17, 31, 33, 63, 65, 100];

    public static TheoryData<SimdWidth, int> WidthsAndLengths()
    {
        var data = new TheoryData<SimdWidth, int>();
        foreach (SimdWidth w in Enum.GetValues<SimdWidth>())
            foreach (int n in Lengths) data.Add(w, n);
        return data;
    }

    /// <summary>Asserts |expected − actual| ≤ tol·(1 + |expected|) element by element.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double tol = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double bound = tol * (1 + Math.Abs(expected[i]));
            if (!(Math.Abs(expected[i] - actual[i]) <= bound))
                Assert.Fail($"[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    /// <summary>Checks a unary reference backward against central differences of its reference forward, loss = Σ dy·f(x), in double.</summary>
    public static void CheckUnaryGradient(
        Action<double[], double[]> forward, Action<double[], double[], double[]> backward, double[] x, int seed = 5)
    {
        var rng = new Rng((ulong)seed);
        double[] dy = TestSupport.Rand.Doubles(rng, x.Length), dx = new double[x.Length];
        backward(x, dy, dx);
        var y = new double[x.Length];
        double[] numeric = TestSupport.GradCheck.Numeric(v => { forward(v, y); return TestSupport.GradCheck.Dot(dy, y); }, x);
        TestSupport.GradCheck.AssertClose(numeric, dx, 1e-6);
    }
}
