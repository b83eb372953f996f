using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// Row-wise log-softmax, y[r, c] = (x[r, c] − max_r) − log Σ_c e^(x[r, c] − max_r), and its backward.
/// Computing (x − max) first keeps full precision near the max even for logits of large magnitude.
/// </summary>
/// <remarks>
/// −∞ entries give −∞. A row that is entirely −∞ (fully masked) gives all −∞ rather than NaN;
/// +∞ or NaN in a row gives NaN in that row.
/// </remarks>
public static class LogSoftmax
{
    /// <summary>Log-softmax of each of the <paramref name="rows"/> rows of <paramref name="x"/> into <paramref name="y"/>. <paramref name="y"/> may be <paramref name="x"/>.</summary>
    /// <param name="x">Input, [rows, cols] row-major.</param>
    /// <param name="y">Output, [rows, cols].</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Row length (the softmax dimension).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
    /// <exception cref="ArgumentException">A span's length is not rows·cols.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, int cols) =>
        Forward(x, y, rows, cols, Simd.Best, ParallelRunner.Threads);

    /// <summary>dx += dy − e^y · Σ_c dy per row: the log-softmax backward from the saved output. Accumulates into <paramref name="dx"/>.</summary>
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
            RowJob.ForEachRow(px, py, rows, cols, width, threads, &Row);
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

    static void Row(ReadOnlySpan<float> x, Span<float> y, SimdWidth width)
    {
        float max = VectorMath.Max(x, width);
        if (float.IsNegativeInfinity(max))
        {
            Softmax.FullyMasked(x, y, float.NegativeInfinity);
            return;
        }
        float logSum = MathF.Log(VectorMath.ExpShiftSum(x, max, width));
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (width == SimdWidth.V512)
        {
            Vector512<float> m = Vector512.Create(max), l = Vector512.Create(logSum);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                (Vector512.LoadUnsafe(ref px, (nuint)i) - m - l).StoreUnsafe(ref py, (nuint)i);
        }
        if (width != SimdWidth.Scalar)
        {
            Vector256<float> m = Vector256.Create(max), l = Vector256.Create(logSum);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                (Vector256.LoadUnsafe(ref px, (nuint)i) - m - l).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref py, i) = Unsafe.Add(ref px, i) - max - logSum;
    }

    static void BackwardRow(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, SimdWidth width)
    {
        float sum = VectorMath.Sum(dy, width);
        ref float py = ref MemoryMarshal.GetReference(y);
        ref float pdy = ref MemoryMarshal.GetReference(dy);
        ref float pdx = ref MemoryMarshal.GetReference(dx);
        int n = y.Length, i = 0;
        if (width == SimdWidth.Scalar)
        {
            for (; i < n; i++) Unsafe.Add(ref pdx, i) += Unsafe.Add(ref pdy, i) - MathF.Exp(Unsafe.Add(ref py, i)) * sum;
            return;
        }
        if (width == SimdWidth.V512)
        {
            var s = Vector512.Create(-sum);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                Vector512.FusedMultiplyAdd(VectorMath.Exp(Vector512.LoadUnsafe(ref py, (nuint)i)), s,
                    Vector512.LoadUnsafe(ref pdx, (nuint)i) + Vector512.LoadUnsafe(ref pdy, (nuint)i)).StoreUnsafe(ref pdx, (nuint)i);
        }
        {
            var s = Vector256.Create(-sum);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                Vector256.FusedMultiplyAdd(VectorMath.Exp(Vector256.LoadUnsafe(ref py, (nuint)i)), s,
                    Vector256.LoadUnsafe(ref pdx, (nuint)i) + Vector256.LoadUnsafe(ref pdy, (nuint)i)).StoreUnsafe(ref pdx, (nuint)i);
        }
        for (; i < n; i++)
            Unsafe.Add(ref pdx, i) = MathF.FusedMultiplyAdd(VectorMath.Exp(Unsafe.Add(ref py, i)), -sum, Unsafe.Add(ref pdx, i) + Unsafe.Add(ref pdy, i));
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
                for (int c = 0; c < cols; c++) yr[c] = T.IsNaN(xr[c]) ? T.NaN : T.NegativeInfinity;
                continue;
            }
            T sum = T.Zero;
            for (int c = 0; c < cols; c++) sum += T.Exp(xr[c] - max);
            T logSum = T.Log(sum);
            for (int c = 0; c < cols; c++) yr[c] = xr[c] - max - logSum;
        }
    }

    /// <summary>dx += dy − e^y·Σ dy per row, generic (the oracle for <see cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int)"/>).</summary>
    internal static void ReferenceBackward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, int rows, int cols) where T : IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            int o = r * cols;
            T sum = T.Zero;
            for (int c = 0; c < cols; c++) sum += dy[o + c];
            for (int c = 0; c < cols; c++) dx[o + c] += dy[o + c] - T.Exp(y[o + c]) * sum;
        }
    }
}
