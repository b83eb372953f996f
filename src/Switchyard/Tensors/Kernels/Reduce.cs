using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// Sums: of a whole span, over the last axis, over rows (column sums, e.g. bias gradients), and
/// the broadcasts that are their backward passes. Single-threaded; each sum runs in a fixed
/// order for a given width, so results are bit-identical run to run.
/// </summary>
public static class Reduce
{
    /// <summary>Σ x[i].</summary>
    public static float Sum(ReadOnlySpan<float> x) => Sum(x, Simd.Best);

    // The shared two-accumulator row sum: one summation order for every kernel at a given width.
    internal static float Sum(ReadOnlySpan<float> x, SimdWidth width) => VectorMath.Sum(x, width);

    /// <summary>y[r] = Σ_c x[r, c] for a row-major [rows, cols] <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">A length does not match rows and cols.</exception>
    public static void SumLastAxis(ReadOnlySpan<float> x, Span<float> y, int rows, int cols) => SumLastAxis(x, y, rows, cols, Simd.Best);

    internal static void SumLastAxis(ReadOnlySpan<float> x, Span<float> y, int rows, int cols, SimdWidth width)
    {
        ThrowHelper.CheckLength(nameof(x), x.Length, rows * cols);
        ThrowHelper.CheckLength(nameof(y), y.Length, rows);
        for (int r = 0; r < rows; r++) y[r] = Sum(x.Slice(r * cols, cols), width);
    }

    /// <summary>y[c] += Σ_r x[r, c]: column sums over rows, accumulated (the gradient of a bias broadcast over rows).</summary>
    /// <exception cref="ArgumentException">A length does not match rows and cols.</exception>
    public static void AccumulateColumnSums(ReadOnlySpan<float> x, Span<float> y, int rows, int cols) =>
        AccumulateColumnSums(x, y, rows, cols, Simd.Best);

    internal static void AccumulateColumnSums(ReadOnlySpan<float> x, Span<float> y, int rows, int cols, SimdWidth width)
    {
        ThrowHelper.CheckLength(nameof(x), x.Length, rows * cols);
        ThrowHelper.CheckLength(nameof(y), y.Length, cols);
        for (int r = 0; r < rows; r++) Elementwise.Accumulate(x.Slice(r * cols, cols), y, 1f, width);
    }

    /// <summary>
    /// x[r, c] += <paramref name="scale"/>·y[r]: broadcasts one value per row over its columns,
    /// accumulated (the gradient of <see cref="SumLastAxis(ReadOnlySpan{float}, Span{float}, int, int)"/>,
    /// with scale 1/cols that of a mean; with rows = 1 that of <see cref="Sum(ReadOnlySpan{float})"/>).
    /// </summary>
    /// <exception cref="ArgumentException">A length does not match rows and cols.</exception>
    public static void AccumulateBroadcastLastAxis(ReadOnlySpan<float> y, Span<float> x, int rows, int cols, float scale = 1f) =>
        AccumulateBroadcastLastAxis(y, x, rows, cols, scale, Simd.Best);

    internal static void AccumulateBroadcastLastAxis(ReadOnlySpan<float> y, Span<float> x, int rows, int cols, float scale, SimdWidth width)
    {
        ThrowHelper.CheckLength(nameof(y), y.Length, rows);
        ThrowHelper.CheckLength(nameof(x), x.Length, rows * cols);
        for (int r = 0; r < rows; r++)
        {
            float v = scale * y[r];
            Span<float> row = x.Slice(r * cols, cols);
            int c = 0;
            ref float rs = ref MemoryMarshal.GetReference(row);
            if (width == SimdWidth.V512)
            {
                var vv = Vector512.Create(v);
                for (; c <= cols - Vector512<float>.Count; c += Vector512<float>.Count)
                    (Vector512.LoadUnsafe(ref rs, (nuint)c) + vv).StoreUnsafe(ref rs, (nuint)c);
            }
            else if (width == SimdWidth.V256)
            {
                var vv = Vector256.Create(v);
                for (; c <= cols - Vector256<float>.Count; c += Vector256<float>.Count)
                    (Vector256.LoadUnsafe(ref rs, (nuint)c) + vv).StoreUnsafe(ref rs, (nuint)c);
            }
            for (; c < cols; c++) Unsafe.Add(ref rs, c) += v;
        }
    }

    /// <summary>The definition of the last-axis sum, generic so the oracle runs in double.</summary>
    internal static void ReferenceSumLastAxis<T>(ReadOnlySpan<T> x, Span<T> y, int rows, int cols) where T : IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            T s = T.Zero;
            for (int c = 0; c < cols; c++) s += x[r * cols + c];
            y[r] = s;
        }
    }

    /// <summary>dx[r, c] += dy[r].</summary>
    internal static void ReferenceSumLastAxisBackward<T>(ReadOnlySpan<T> dy, Span<T> dx, int rows, int cols) where T : IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) dx[r * cols + c] += dy[r];
    }
}
