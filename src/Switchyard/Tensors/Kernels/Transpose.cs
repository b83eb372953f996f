using System.Numerics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// Axis permutations by copy: the 2-D transpose, and the swap of the two middle axes of a
/// rank-4 tensor ([B, T, H, D] ↔ [B, H, T, D], attention head layouts). Pure data movement,
/// so there is no vector path: blocking for the cache is what matters.
/// </summary>
public static class Transpose
{
    const int Block = 32;

    /// <summary>y[c, r] = x[r, c] (or += when <paramref name="accumulate"/>) for a row-major [rows, cols] <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">A length does not match rows and cols.</exception>
    public static void Matrix(ReadOnlySpan<float> x, Span<float> y, int rows, int cols, bool accumulate = false)
    {
        ThrowHelper.CheckLength(nameof(x), x.Length, rows * cols);
        ThrowHelper.CheckLength(nameof(y), y.Length, rows * cols);
        // Blocks of 32×32 keep both the rows read and the rows written in L1.
        for (int r0 = 0; r0 < rows; r0 += Block)
        {
            int r1 = Math.Min(rows, r0 + Block);
            for (int c0 = 0; c0 < cols; c0 += Block)
            {
                int c1 = Math.Min(cols, c0 + Block);
                for (int r = r0; r < r1; r++)
                {
                    ReadOnlySpan<float> row = x.Slice(r * cols, cols);
                    if (accumulate)
                        for (int c = c0; c < c1; c++) y[c * rows + r] += row[c];
                    else
                        for (int c = c0; c < c1; c++) y[c * rows + r] = row[c];
                }
            }
        }
    }

    /// <summary>
    /// y[a, c, b, :] = x[a, b, c, :] (or += when <paramref name="accumulate"/>): swaps axes 1 and 2
    /// of a row-major [d0, d1, d2, d3] tensor into [d0, d2, d1, d3]. Its own inverse with d1 and d2 exchanged.
    /// </summary>
    /// <exception cref="ArgumentException">A length does not match the dimensions.</exception>
    public static void SwapMiddleAxes(ReadOnlySpan<float> x, Span<float> y, int d0, int d1, int d2, int d3, bool accumulate = false)
    {
        int n = d0 * d1 * d2 * d3;
        ThrowHelper.CheckLength(nameof(x), x.Length, n);
        ThrowHelper.CheckLength(nameof(y), y.Length, n);
        for (int a = 0; a < d0; a++)
            for (int b = 0; b < d1; b++)
                for (int c = 0; c < d2; c++)
                {
                    ReadOnlySpan<float> src = x.Slice(((a * d1 + b) * d2 + c) * d3, d3);
                    Span<float> dst = y.Slice(((a * d2 + c) * d1 + b) * d3, d3);
                    if (accumulate) Elementwise.Accumulate(src, dst);
                    else src.CopyTo(dst);
                }
    }

    /// <summary>The 2-D definition, generic so the oracle runs in double.</summary>
    internal static void ReferenceMatrix<T>(ReadOnlySpan<T> x, Span<T> y, int rows, int cols) where T : IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) y[c * rows + r] = x[r * cols + c];
    }
}
