using System.Numerics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// Gathers rows of a table by index (embedding lookup; MoE dispatch) and scatter-adds the
/// gradient back. The backward splits work by table row, so repeated indices (the same token
/// many times in a batch) accumulate in index order: bit-identical for every thread count.
/// </summary>
public static class IndexSelect
{
    /// <summary>dst row i = table row indices[i].</summary>
    /// <param name="table">Table, [table rows, width] row-major.</param>
    /// <param name="indices">Row to take for each output row, each in [0, table rows).</param>
    /// <param name="dst">Output, [indices.Length, width].</param>
    /// <param name="width">Row length, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">width &lt; 1, or an index is out of range (the message names its position and value).</exception>
    /// <exception cref="ArgumentException">A span's length does not match the indices and width.</exception>
    public static void Forward(ReadOnlySpan<float> table, ReadOnlySpan<int> indices, Span<float> dst, int width) =>
        Forward(table, indices, dst, width, Simd.Best, ParallelRunner.Threads);

    /// <summary>dTable row indices[i] += dDst row i, for every i. Accumulates.</summary>
    /// <param name="dDst">Gradient with respect to the gathered rows, [indices.Length, width].</param>
    /// <param name="indices">The forward pass's indices.</param>
    /// <param name="dTable">Gradient with respect to the table, [table rows, width]; added to.</param>
    /// <param name="width">Row length, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">width &lt; 1, or an index is out of range.</exception>
    /// <exception cref="ArgumentException">A span's length does not match the indices and width.</exception>
    public static void Backward(ReadOnlySpan<float> dDst, ReadOnlySpan<int> indices, Span<float> dTable, int width) =>
        Backward(dDst, indices, dTable, width, Simd.Best, ParallelRunner.Threads);

    internal static unsafe void Forward(ReadOnlySpan<float> table, ReadOnlySpan<int> indices, Span<float> dst, int width, SimdWidth simd, int threads)
    {
        ThrowHelper.CheckAtLeast(width, 1);
        int n = indices.Length;
        int tableRows = ScatterAdd.TableRows(nameof(table), table.Length, width);
        ThrowHelper.CheckLength(nameof(dst), dst.Length, "indices", n, "width", width);
        ThrowHelper.CheckIndices(nameof(indices), indices, tableRows);
        fixed (float* pt = table, pd = dst)
        fixed (int* pi = indices)
            ScatterAdd.Gather(pt, pi, null, pd, n, width, accumulate: false, simd, threads);
    }

    internal static unsafe void Backward(ReadOnlySpan<float> dDst, ReadOnlySpan<int> indices, Span<float> dTable, int width, SimdWidth simd, int threads)
    {
        ThrowHelper.CheckAtLeast(width, 1);
        int n = indices.Length;
        ThrowHelper.CheckLength(nameof(dDst), dDst.Length, "indices", n, "width", width);
        int tableRows = ScatterAdd.TableRows(nameof(dTable), dTable.Length, width);
        ThrowHelper.CheckIndices(nameof(indices), indices, tableRows);
        fixed (float* pd = dDst, pt = dTable)
        fixed (int* pi = indices)
            ScatterAdd.Scatter(pd, pi, null, pt, n, tableRows, width, simd, threads);
    }

    /// <summary>The definition, generic (the test oracle): dst row i = table row indices[i].</summary>
    internal static void ReferenceForward<T>(ReadOnlySpan<T> table, ReadOnlySpan<int> indices, Span<T> dst, int width) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < indices.Length; i++)
            table.Slice(indices[i] * width, width).CopyTo(dst.Slice(i * width, width));
    }

    /// <summary>dTable row indices[i] += dDst row i, generic (the backward oracle). Accumulates.</summary>
    internal static void ReferenceBackward<T>(ReadOnlySpan<T> dDst, ReadOnlySpan<int> indices, Span<T> dTable, int width) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < indices.Length; i++)
            for (int c = 0; c < width; c++) dTable[indices[i] * width + c] += dDst[i * width + c];
    }
}
