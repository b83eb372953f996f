namespace Switchyard.Tensors.Kernels;

/// <summary>
/// Argument checks shared by the row ops (softmax, cross-entropy, top-k, gather/scatter).
/// Throwing lives in non-inlined methods so the checks cost the hot paths one compare each.
/// </summary>
internal static class RowArgs
{
    /// <summary>Checks <paramref name="rows"/>, <paramref name="cols"/> ≥ 0 and returns rows·cols, which must fit in an int (spans are int-indexed).</summary>
    public static int Size(int rows, int cols)
    {
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "rows must be at least 0.");
        if (cols < 0) throw new ArgumentOutOfRangeException(nameof(cols), cols, "cols must be at least 0.");
        long size = (long)rows * cols;
        if (size > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"rows {rows} × cols {cols} exceeds the largest span.");
        return (int)size;
    }

    /// <summary>Checks that <paramref name="width"/> is at least 1 (row width of a gather/scatter table).</summary>
    public static void Width(int width)
    {
        if (width < 1) throw new ArgumentOutOfRangeException(nameof(width), width, "width must be at least 1.");
    }

    /// <summary>
    /// Throws unless <paramref name="actual"/> = <paramref name="a"/>·<paramref name="b"/>; the message
    /// names the parameter, both lengths and the sizes the expected one comes from. The message
    /// is built only when throwing, so a valid call allocates nothing.
    /// </summary>
    public static void Length(string param, int actual, string aName, int a, string? bName = null, int b = 1)
    {
        if (actual != (long)a * b) ThrowLength(param, actual, aName, a, bName, b);
    }

    /// <summary>Throws unless every index lies in [0, <paramref name="count"/>); the message names the position and the value.</summary>
    public static void Indices(string param, ReadOnlySpan<int> indices, int count)
    {
        for (int i = 0; i < indices.Length; i++)
            if ((uint)indices[i] >= (uint)count) ThrowIndex(param, i, indices[i], count);
    }

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> for <paramref name="param"/>[<paramref name="position"/>] = <paramref name="value"/> outside [0, <paramref name="count"/>).</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void ThrowIndex(string param, int position, int value, int count) =>
        throw new ArgumentOutOfRangeException(param, value, $"{param}[{position}] = {value} is outside [0, {count}).");

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    static void ThrowLength(string param, int actual, string aName, int a, string? bName, int b) =>
        throw new ArgumentException(bName is null
            ? $"{param} has length {actual}, expected {a} ({aName})."
            : $"{param} has length {actual}, expected {(long)a * b} ({aName} {a} × {bName} {b}).", param);
}
