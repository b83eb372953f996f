using Switchyard.Tensors;

namespace Switchyard.Tests.Tensors.Kernels;

/// <summary>Shapes and comparisons shared by the row-op kernel tests.</summary>
internal static class RowOpsTestData
{
    public static readonly SimdWidth[] AllWidths = [SimdWidth.Scalar, SimdWidth.V256, SimdWidth.V512];

    /// <summary>Odd row lengths hit every vector tail; the last two shapes are big enough to run in parallel.</summary>
    public static readonly (int Rows, int Cols)[] Shapes =
        [(1, 1), (3, 3), (2, 7), (5, 8), (2, 17), (5, 31), (4, 33), (3, 63), (2, 65), (7, 100), (1, 257), (64, 600), (300, 130)];

    /// <summary>Every supported width × every shape.</summary>
    public static TheoryData<SimdWidth, int, int> WidthsAndShapes()
    {
        var data = new TheoryData<SimdWidth, int, int>();
        foreach (var w in AllWidths)
            foreach (var (rows, cols) in Shapes)
                data.Add(w, rows, cols);
        return data;
    }

    /// <summary>(index count, row width, table rows): duplicates everywhere (few table rows), odd widths, and two sizes big enough to run in parallel.</summary>
    public static readonly (int N, int Width, int TableRows)[] GatherShapes =
        [(1, 1, 1), (0, 5, 2), (3, 7, 2), (17, 33, 5), (100, 17, 3), (65, 65, 100), (31, 100, 31), (2000, 64, 50), (600, 130, 1000)];

    /// <summary>Every supported width × every gather shape.</summary>
    public static TheoryData<SimdWidth, int, int, int> WidthsAndGatherShapes()
    {
        var data = new TheoryData<SimdWidth, int, int, int>();
        foreach (var w in AllWidths)
            foreach (var (n, width, tableRows) in GatherShapes)
                data.Add(w, n, width, tableRows);
        return data;
    }

    /// <summary>n random indices in [0, tableRows).</summary>
    public static int[] Indices(Rng rng, int n, int tableRows)
    {
        var idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = rng.NextInt(tableRows);
        return idx;
    }

    /// <summary>Asserts |actual − expected| ≤ rel·|expected| + abs element by element, naming the first bad element.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double rel, double abs, string what = "value")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsInfinity(e) && e == a) continue;
            if (!(Math.Abs(a - e) <= rel * Math.Abs(e) + abs))
                Assert.Fail($"{what}[{i}]: expected {e:R}, got {a:R}");
        }
    }

    /// <summary>Asserts two float arrays are bit-identical.</summary>
    public static void AssertBitIdentical(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"[{i}]: {expected[i]:R} then {actual[i]:R}");
    }
}
