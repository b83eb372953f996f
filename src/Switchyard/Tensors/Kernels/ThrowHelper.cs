using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// The argument checks every kernel shares. Each check is one compare on the success path;
/// the message (naming the parameter and both lengths, or the position and value) is built
/// only in the non-inlined throw methods, so a valid call allocates nothing. Kernel-specific
/// shape rules stay in their kernel and throw through <see cref="LengthMismatch"/>.
/// </summary>
internal static class ThrowHelper
{
    /// <summary>Throws unless <paramref name="actual"/> = <paramref name="expected"/>: "y has length 3, expected 4."</summary>
    public static void CheckLength(string param, int actual, int expected)
    {
        if (actual != expected) LengthMismatch(param, actual, expected, detail: null);
    }

    /// <summary>
    /// Throws unless <paramref name="actual"/> = <paramref name="expected"/>, the length of
    /// <paramref name="other"/>: "dy has length 3, but x has length 4; they must match."
    /// </summary>
    public static void CheckSameLength(string param, int actual, string other, int expected)
    {
        if (actual != expected) ThrowSameLength(param, actual, other, expected);
    }

    /// <summary>
    /// Throws unless <paramref name="actual"/> = <paramref name="a"/>·<paramref name="b"/>:
    /// "x has length 5, expected 6 (rows 2 × cols 3)." or, without <paramref name="bName"/>,
    /// "targets has length 1, expected 2 (rows)."
    /// </summary>
    public static void CheckLength(string param, int actual, string aName, int a, string? bName = null, int b = 1)
    {
        if (actual != (long)a * b) ThrowProduct(param, actual, aName, a, bName, b);
    }

    /// <summary>Throws unless <paramref name="actual"/> = <paramref name="expected"/>, one per <paramref name="what"/>: "weight has length 3, expected 4 (one per column)."</summary>
    public static void CheckOnePer(string param, int actual, string what, int expected)
    {
        if (actual != expected) ThrowOnePer(param, actual, what, expected);
    }

    /// <summary>Throws unless <paramref name="value"/> ≥ 0.</summary>
    public static void CheckNonNegative(int value, [CallerArgumentExpression(nameof(value))] string param = "")
    {
        if (value < 0) ThrowNegative(param, value);
    }

    /// <summary>Throws unless <paramref name="value"/> ≥ <paramref name="min"/>.</summary>
    public static void CheckAtLeast(int value, int min, [CallerArgumentExpression(nameof(value))] string param = "")
    {
        if (value < min) ThrowBelow(param, value, min);
    }

    /// <summary>Checks grouped-query head sizes: each at least 1 and <paramref name="qHeads"/> a multiple of <paramref name="kvHeads"/>.</summary>
    public static void CheckHeads(int qHeads, int kvHeads, int headDim)
    {
        CheckAtLeast(qHeads, 1);
        CheckAtLeast(kvHeads, 1);
        CheckAtLeast(headDim, 1);
        if (qHeads % kvHeads != 0)
            throw new ArgumentException(
                $"qHeads ({qHeads}) must be a multiple of kvHeads ({kvHeads}) for grouped-query attention.", nameof(qHeads));
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and ≥ 0 (NaN fails).</summary>
    public static void CheckFiniteNonNegative(float value, [CallerArgumentExpression(nameof(value))] string param = "")
    {
        if (!(value >= 0f) || float.IsInfinity(value)) ThrowNotFiniteNonNegative(param, value);
    }

    /// <summary>Checks <paramref name="rows"/>, <paramref name="cols"/> ≥ 0 and returns rows·cols, which must fit in an int (spans are int-indexed).</summary>
    public static int CheckMatrixSize(int rows, int cols)
    {
        CheckNonNegative(rows);
        CheckNonNegative(cols);
        long size = (long)rows * cols;
        if (size > int.MaxValue) ThrowTooLarge(rows, cols);
        return (int)size;
    }

    /// <summary>Throws unless every index lies in [0, <paramref name="count"/>); the message names the position and the value.</summary>
    public static void CheckIndices(string param, ReadOnlySpan<int> indices, int count)
    {
        for (int i = 0; i < indices.Length; i++)
            if ((uint)indices[i] >= (uint)count) IndexOutOfRange(param, i, indices[i], count);
    }

    /// <summary>Throws for <paramref name="param"/>[<paramref name="position"/>] = <paramref name="value"/> outside [0, <paramref name="count"/>): "targets[1] = 3 is outside [0, 3)."</summary>
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void IndexOutOfRange(string param, int position, int value, int count) =>
        throw new ArgumentOutOfRangeException(param, value, $"{param}[{position}] = {value} is outside [0, {count}).");

    /// <summary>
    /// Throws the length error of <paramref name="param"/>: "q has length 121, expected 120 (detail)."
    /// Kernels with their own shape rules call this from their failure branch, where building
    /// <paramref name="detail"/> costs nothing on the success path.
    /// </summary>
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void LengthMismatch(string param, int actual, long expected, string? detail) =>
        throw new ArgumentException(detail is null
            ? $"{param} has length {actual}, expected {expected}."
            : $"{param} has length {actual}, expected {expected} ({detail}).", param);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    static void ThrowSameLength(string param, int actual, string other, int expected) =>
        throw new ArgumentException($"{param} has length {actual}, but {other} has length {expected}; they must match.", param);

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    static void ThrowProduct(string param, int actual, string aName, int a, string? bName, int b) =>
        LengthMismatch(param, actual, (long)a * b, bName is null ? aName : $"{aName} {a} × {bName} {b}");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    static void ThrowOnePer(string param, int actual, string what, int expected) =>
        LengthMismatch(param, actual, expected, $"one per {what}");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    static void ThrowNegative(string param, int value) =>
        throw new ArgumentOutOfRangeException(param, value, $"{param} must not be negative.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    static void ThrowBelow(string param, int value, int min) =>
        throw new ArgumentOutOfRangeException(param, value, $"{param} must be at least {min}.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    static void ThrowNotFiniteNonNegative(string param, float value) =>
        throw new ArgumentOutOfRangeException(param, value, $"{param} must be a finite number ≥ 0.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    static void ThrowTooLarge(int rows, int cols) =>
        throw new ArgumentOutOfRangeException(nameof(rows), rows, $"rows {rows} × cols {cols} exceeds the largest span.");
}
