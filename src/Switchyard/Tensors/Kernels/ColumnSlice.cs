namespace Switchyard.Tensors.Kernels;

/// <summary>
/// Copies a block of columns between row-major matrices: the forward and backward of concat and
/// split along the last axis. Source and destination must not overlap.
/// </summary>
public static class ColumnSlice
{
    /// <summary>
    /// dst[r, 0..width) = src[r, offset..offset+width) (or += when <paramref name="accumulate"/>),
    /// src being [rows, srcCols] and dst [rows, width]: split forward, concat backward.
    /// </summary>
    /// <exception cref="ArgumentException">A length does not match, or the block is outside src.</exception>
    public static void Extract(ReadOnlySpan<float> src, Span<float> dst, int rows, int srcCols, int offset, int width, bool accumulate = false)
    {
        CheckBlock(srcCols, offset, width);
        ThrowHelper.CheckLength(nameof(src), src.Length, rows * srcCols);
        ThrowHelper.CheckLength(nameof(dst), dst.Length, rows * width);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> from = src.Slice(r * srcCols + offset, width);
            Span<float> to = dst.Slice(r * width, width);
            if (accumulate) Elementwise.Accumulate(from, to);
            else from.CopyTo(to);
        }
    }

    /// <summary>
    /// dst[r, offset..offset+width) = src[r, 0..width) (or += when <paramref name="accumulate"/>),
    /// src being [rows, width] and dst [rows, dstCols]: concat forward, split backward.
    /// </summary>
    /// <exception cref="ArgumentException">A length does not match, or the block is outside dst.</exception>
    public static void Insert(ReadOnlySpan<float> src, Span<float> dst, int rows, int dstCols, int offset, int width, bool accumulate = false)
    {
        CheckBlock(dstCols, offset, width);
        ThrowHelper.CheckLength(nameof(src), src.Length, rows * width);
        ThrowHelper.CheckLength(nameof(dst), dst.Length, rows * dstCols);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> from = src.Slice(r * width, width);
            Span<float> to = dst.Slice(r * dstCols + offset, width);
            if (accumulate) Elementwise.Accumulate(from, to);
            else from.CopyTo(to);
        }
    }

    static void CheckBlock(int cols, int offset, int width)
    {
        if (offset < 0 || width < 0 || offset + width > cols)
            throw new ArgumentException($"columns [{offset}, {offset + width}) are outside a row of {cols}", nameof(offset));
    }
}
