using Switchyard.Tensors;

namespace Switchyard.Tests.TestSupport;

/// <summary>Random test data from a fixed seed.</summary>
internal static class Rand
{
    public static float[] Floats(Rng rng, int n, float scale = 1f)
    {
        var a = new float[n];
        rng.FillUniform(a, -scale, scale);
        return a;
    }

    public static double[] Doubles(Rng rng, int n, double scale = 1)
    {
        var a = new double[n];
        for (int i = 0; i < n; i++) a[i] = (2 * rng.NextDouble() - 1) * scale;
        return a;
    }

    public static double[] ToDouble(ReadOnlySpan<float> x)
    {
        var d = new double[x.Length];
        for (int i = 0; i < x.Length; i++) d[i] = x[i];
        return d;
    }

    public static float[] ToFloat(ReadOnlySpan<double> x)
    {
        var f = new float[x.Length];
        for (int i = 0; i < x.Length; i++) f[i] = (float)x[i];
        return f;
    }
}
