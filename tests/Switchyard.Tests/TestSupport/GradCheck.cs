namespace Switchyard.Tests.TestSupport;

/// <summary>Float64 central differences: the oracle every backward pass is checked against.</summary>
internal static class GradCheck
{
    /// <summary>
    /// ∂f/∂x[i] ≈ (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h for every i. With h = 1e-5 in double the
    /// error is about h²·f''' + 1e-16/h, far below the tolerances the tests use.
    /// </summary>
    public static double[] Numeric(Func<double[], double> f, double[] x, double h = 1e-5)
    {
        var g = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double keep = x[i];
            x[i] = keep + h; double up = f(x);
            x[i] = keep - h; double down = f(x);
            x[i] = keep;
            g[i] = (up - down) / (2 * h);
        }
        return g;
    }

    /// <summary>Asserts two gradients agree within <paramref name="tolerance"/>·(1 + |expected|) element by element.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double tolerance = 1e-6, string what = "gradient")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double bound = tolerance * (1 + Math.Abs(expected[i]));
            if (!(Math.Abs(expected[i] - actual[i]) <= bound))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (bound {bound:G3})");
        }
    }

    /// <summary>Σ w[i]·y[i]: a scalar loss whose gradient with respect to y is w, for checking backward passes with a random upstream gradient.</summary>
    public static double Dot(ReadOnlySpan<double> w, ReadOnlySpan<double> y)
    {
        double s = 0;
        for (int i = 0; i < y.Length; i++) s += w[i] * y[i];
        return s;
    }
}
