using Switchyard.Tensors;

namespace Switchyard.Tests.Tensors.Kernels;

/// <summary>Shapes, widths and comparisons shared by the norm, activation and RoPE kernel tests.</summary>
internal static class ActivationTestSupport
{
    public static readonly SimdWidth[] Widths = [SimdWidth.Scalar, SimdWidth.V256, SimdWidth.V512];

    /// <summary>Odd and even lengths around every vector width, so each tail path runs.</summary>
    public static readonly int[] Lengths = [0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 63, 65, 100, 513, 1000];

    /// <summary>Odd and even row widths for the norms.</summary>
    public static readonly int[] Cols = [1, 3, 7, 8, 16, 17, 33, 65, 100, 257, 513];

    public static TheoryData<SimdWidth, int> WidthsAndLengths()
    {
        var data = new TheoryData<SimdWidth, int>();
        foreach (var w in Widths)
            foreach (int n in Lengths) data.Add(w, n);
        return data;
    }

    public static TheoryData<SimdWidth, int> WidthsAndCols()
    {
        var data = new TheoryData<SimdWidth, int>();
        foreach (var w in Widths)
            foreach (int n in Cols) data.Add(w, n);
        return data;
    }

    public static TheoryData<SimdWidth> AllWidths()
    {
        var data = new TheoryData<SimdWidth>();
        foreach (var w in Widths) data.Add(w);
        return data;
    }

    public static void SkipUnsupported(SimdWidth width) =>
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} on this machine");

    /// <summary>Asserts |actual − expected| ≤ bound(i) for every i, naming the first element that fails.</summary>
    public static void AssertWithin(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, Func<int, double> bound, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]), b = bound(i);
            if (!(err <= b))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (error {err:G3}, bound {b:G3})");
        }
    }

    /// <summary>Asserts two float spans hold the same bits.</summary>
    public static void AssertBitIdentical(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}[{i}]: {expected[i]:R} then {actual[i]:R}");
    }
}
