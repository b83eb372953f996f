using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// Row-wise softmax, y[r, c] = e^(x[r, c] − max_r) / Σ_c e^(x[r, c] − max_r), and its backward.
/// Subtracting the row max keeps every exponent ≤ 0, so no row overflows whatever its scale.
/// </summary>
/// <remarks>
/// Masked logits may be −∞: they get probability exactly 0. A row that is entirely −∞ (fully
/// masked) gives all zeros rather than NaN. +∞ or NaN in a row gives NaN in that row.
/// </remarks>
public static class Softmax
{
    /// <summary>Softmax of each of the <paramref name="rows"/> rows of <paramref name="x"/> into <paramref name="y"/>. <paramref name="y"/> may be <paramref name="x"/>.</summary>
    /// <param name="x">Input, [rows, cols] row-major.</param>
    /// <param name="y">Output, [rows, cols].</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Row length (the softmax dimension).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
    /// <exception cref="ArgumentException">A span's length is not rows·cols.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, int cols) =>
        Forward(x, y, rows, cols, Simd.Best, ParallelRunner.Threads);

    /// <summary>dx += y ⊙ (dy − Σ_c y·dy) per row: the softmax backward from the saved output. Accumulates into <paramref name="dx"/>.</summary>
    /// <param name="y">Forward output, [rows, cols].</param>
    /// <param name="dy">Gradient of the loss with respect to y, [rows, cols].</param>
    /// <param name="dx">Gradient with respect to x, [rows, cols]; added to.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Row length.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
    /// <exception cref="ArgumentException">A span's length is not rows·cols.</exception>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows, int cols) =>
        Backward(y, dy, dx, rows, cols, Simd.Best, ParallelRunner.Threads);

    internal static unsafe void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, int cols, SimdWidth width, int threads)
    {
        ThrowHelper.CheckMatrixSize(rows, cols);
        ThrowHelper.CheckLength(nameof(x), x.Length, "rows", rows, "cols", cols);
        ThrowHelper.CheckLength(nameof(y), y.Length, "rows", rows, "cols", cols);
        fixed (float* px = x, py = y)
            RowJob.ForEachRow(px, py, rows, cols, width, threads, &ForwardRow);
    }

    internal static unsafe void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int rows, int cols, SimdWidth width, int threads)
    {
        ThrowHelper.CheckMatrixSize(rows, cols);
        ThrowHelper.CheckLength(nameof(y), y.Length, "rows", rows, "cols", cols);
        ThrowHelper.CheckLength(nameof(dy), dy.Length, "rows", rows, "cols", cols);
        ThrowHelper.CheckLength(nameof(dx), dx.Length, "rows", rows, "cols", cols);
        fixed (float* py = y, pdy = dy, pdx = dx)
            RowJob.ForEachRow(py, pdy, pdx, rows, cols, width, threads, &BackwardRow);
    }

    static void ForwardRow(ReadOnlySpan<float> x, Span<float> y, SimdWidth width) => Row(x, y, width);

    /// <summary>Softmax of one row; returns the row max and Σ e^(x − max) (the pieces of log-sum-exp, which cross-entropy needs).</summary>
    internal static (float Max, float Sum) Row(ReadOnlySpan<float> x, Span<float> y, SimdWidth width)
    {
        float max = VectorMath.Max(x, width);
        if (float.IsNegativeInfinity(max))
        {
            FullyMasked(x, y, 0f);
            return (max, 0f);
        }
        float sum = VectorMath.ExpShiftStore(x, max, y, width);
        VectorMath.Scale(y, 1f / sum, width);
        return (max, sum);
    }

    /// <summary>A row whose max is −∞: every entry is −∞ (→ <paramref name="value"/>) or NaN (→ NaN, the max may have skipped it).</summary>
    internal static void FullyMasked(ReadOnlySpan<float> x, Span<float> y, float value)
    {
        for (int i = 0; i < x.Length; i++) y[i] = float.IsNaN(x[i]) ? float.NaN : value;
    }

    static void BackwardRow(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, SimdWidth width)
    {
        float dot = VectorMath.Dot(y, dy, width);
        ref float py = ref MemoryMarshal.GetReference(y);
        ref float pdy = ref MemoryMarshal.GetReference(dy);
        ref float pdx = ref MemoryMarshal.GetReference(dx);
        int n = y.Length, i = 0;
        if (width == SimdWidth.V512)
        {
            var d = Vector512.Create(dot);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref py, (nuint)i), Vector512.LoadUnsafe(ref pdy, (nuint)i) - d,
                    Vector512.LoadUnsafe(ref pdx, (nuint)i)).StoreUnsafe(ref pdx, (nuint)i);
        }
        if (width != SimdWidth.Scalar)
        {
            var d = Vector256.Create(dot);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref py, (nuint)i), Vector256.LoadUnsafe(ref pdy, (nuint)i) - d,
                    Vector256.LoadUnsafe(ref pdx, (nuint)i)).StoreUnsafe(ref pdx, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref pdx, i) += Unsafe.Add(ref py, i) * (Unsafe.Add(ref pdy, i) - dot);
    }

    /// <summary>The definition, generic so it runs in double as the test oracle.</summary>
    internal static void ReferenceForward<T>(ReadOnlySpan<T> x, Span<T> y, int rows, int cols) where T : IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> xr = x.Slice(r * cols, cols);
            Span<T> yr = y.Slice(r * cols, cols);
            T max = T.NegativeInfinity;
            foreach (T v in xr) max = T.Max(max, v);
            if (T.IsNegativeInfinity(max))
            {
                for (int c = 0; c < cols; c++) yr[c] = T.IsNaN(xr[c]) ? T.NaN : T.Zero;
                continue;
            }
            T sum = T.Zero;
            for (int c = 0; c < cols; c++) sum += yr[c] = T.Exp(xr[c] - max);
            for (int c = 0; c < cols; c++) yr[c] /= sum;
        }
    }

    /// <summary>dx += y ⊙ (dy − Σ y·dy) per row, generic (the oracle for <see cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int)"/>).</summary>
    internal static void ReferenceBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int rows, int cols) where T : IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            int o = r * cols;
            T dot = T.Zero;
            for (int c = 0; c < cols; c++) dot += y[o + c] * dy[o + c];
            for (int c = 0; c < cols; c++) dx[o + c] += y[o + c] * (dy[o + c] - dot);
        }
    }
}
