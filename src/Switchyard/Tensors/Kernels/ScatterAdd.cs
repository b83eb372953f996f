using System.Numerics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// Weighted scatter-add of rows, dst[indices[i]] += weights[i]·src[i] (the MoE combine: each
/// expert output row is added, gate-weighted, into its token's row), and its two backward
/// halves. Deterministic however many source rows hit one destination: work is split by
/// DESTINATION row and each destination adds its sources in index order, so the result is
/// bit-identical for every thread count.
/// </summary>
public static class ScatterAdd
{
    /// <summary>dst row indices[i] += weights[i] · src row i, for every i (weights empty: all 1). Accumulates.</summary>
    /// <param name="src">Source rows, [n, width] where n = indices.Length.</param>
    /// <param name="indices">Destination row of each source row, each in [0, dst rows).</param>
    /// <param name="weights">Weight per source row (length n), or empty for plain adds.</param>
    /// <param name="dst">Destination rows, [dst rows, width]; added to.</param>
    /// <param name="width">Row length, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">width &lt; 1, or an index is out of range (the message names its position and value).</exception>
    /// <exception cref="ArgumentException">A span's length does not match n and width.</exception>
    public static void Rows(ReadOnlySpan<float> src, ReadOnlySpan<int> indices, ReadOnlySpan<float> weights, Span<float> dst, int width) =>
        Rows(src, indices, weights, dst, width, Simd.Best, ParallelRunner.Threads);

    /// <summary>Gradient of <see cref="Rows(ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{float}, Span{float}, int)"/> with respect to src: dSrc row i += weights[i] · dDst row indices[i] (a weighted gather). Accumulates.</summary>
    /// <param name="dDst">Gradient with respect to dst, [dst rows, width].</param>
    /// <param name="indices">The forward pass's indices.</param>
    /// <param name="weights">The forward pass's weights, or empty.</param>
    /// <param name="dSrc">Gradient with respect to src, [n, width]; added to.</param>
    /// <param name="width">Row length, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">width &lt; 1, or an index is out of range.</exception>
    /// <exception cref="ArgumentException">A span's length does not match n and width.</exception>
    public static void BackwardSource(ReadOnlySpan<float> dDst, ReadOnlySpan<int> indices, ReadOnlySpan<float> weights, Span<float> dSrc, int width) =>
        BackwardSource(dDst, indices, weights, dSrc, width, Simd.Best, ParallelRunner.Threads);

    /// <summary>Gradient with respect to the weights: dWeights[i] += src row i · dDst row indices[i]. Accumulates.</summary>
    /// <param name="src">The forward pass's source rows, [n, width].</param>
    /// <param name="indices">The forward pass's indices.</param>
    /// <param name="dDst">Gradient with respect to dst, [dst rows, width].</param>
    /// <param name="dWeights">Gradient with respect to the weights, length n; added to.</param>
    /// <param name="width">Row length, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">width &lt; 1, or an index is out of range.</exception>
    /// <exception cref="ArgumentException">A span's length does not match n and width.</exception>
    public static void BackwardWeights(ReadOnlySpan<float> src, ReadOnlySpan<int> indices, ReadOnlySpan<float> dDst, Span<float> dWeights, int width) =>
        BackwardWeights(src, indices, dDst, dWeights, width, Simd.Best, ParallelRunner.Threads);

    internal static unsafe void Rows(ReadOnlySpan<float> src, ReadOnlySpan<int> indices, ReadOnlySpan<float> weights, Span<float> dst, int width,
        SimdWidth simd, int threads)
    {
        ThrowHelper.CheckAtLeast(width, 1);
        int n = indices.Length;
        ThrowHelper.CheckLength(nameof(src), src.Length, "indices", n, "width", width);
        CheckWeights(weights, n);
        int dstRows = TableRows(nameof(dst), dst.Length, width);
        ThrowHelper.CheckIndices(nameof(indices), indices, dstRows);
        fixed (float* ps = src, pw = weights, pd = dst)
        fixed (int* pi = indices)
            Scatter(ps, pi, pw, pd, n, dstRows, width, simd, threads);
    }

    internal static unsafe void BackwardSource(ReadOnlySpan<float> dDst, ReadOnlySpan<int> indices, ReadOnlySpan<float> weights, Span<float> dSrc, int width,
        SimdWidth simd, int threads)
    {
        ThrowHelper.CheckAtLeast(width, 1);
        int n = indices.Length;
        int dstRows = TableRows(nameof(dDst), dDst.Length, width);
        CheckWeights(weights, n);
        ThrowHelper.CheckLength(nameof(dSrc), dSrc.Length, "indices", n, "width", width);
        ThrowHelper.CheckIndices(nameof(indices), indices, dstRows);
        fixed (float* pd = dDst, pw = weights, ps = dSrc)
        fixed (int* pi = indices)
            Gather(pd, pi, pw, ps, n, width, accumulate: true, simd, threads);
    }

    internal static unsafe void BackwardWeights(ReadOnlySpan<float> src, ReadOnlySpan<int> indices, ReadOnlySpan<float> dDst, Span<float> dWeights, int width,
        SimdWidth simd, int threads)
    {
        ThrowHelper.CheckAtLeast(width, 1);
        int n = indices.Length;
        ThrowHelper.CheckLength(nameof(src), src.Length, "indices", n, "width", width);
        int dstRows = TableRows(nameof(dDst), dDst.Length, width);
        ThrowHelper.CheckLength(nameof(dWeights), dWeights.Length, "indices", n);
        ThrowHelper.CheckIndices(nameof(indices), indices, dstRows);
        fixed (float* ps = src, pd = dDst, pw = dWeights)
        fixed (int* pi = indices)
        {
            var job = RowJob.Get();
            job.A = ps; job.B = pd; job.C = pw; job.Ints = pi;
            job.Cols = width; job.Items = n; job.Width = simd;
            job.Body = &WeightsBody;
            job.Run(RowJob.Parts(n, (long)n * width, threads));
        }
    }

    static void CheckWeights(ReadOnlySpan<float> weights, int n)
    {
        if (weights.Length != 0) ThrowHelper.CheckLength(nameof(weights), weights.Length, "indices", n);
    }

    /// <summary>Rows in a table of <paramref name="length"/> floats <paramref name="width"/> wide; throws unless it divides evenly.</summary>
    internal static int TableRows(string param, int length, int width)
    {
        if (length % width != 0)
            throw new ArgumentException($"{param} has length {length}, which is not a whole number of rows of width {width}.", param);
        return length / width;
    }

    /// <summary>dst[idx[i]] += w[i]·src[i] (w null: 1), split by destination row. Arguments already checked.</summary>
    internal static unsafe void Scatter(float* src, int* idx, float* w, float* dst, int n, int dstRows, int width, SimdWidth simd, int threads)
    {
        var job = RowJob.Get();
        job.A = src; job.B = w; job.C = dst; job.Ints = idx;
        job.Count = n; job.Cols = width; job.Items = dstRows; job.Width = simd;
        job.Body = &ScatterBody;
        job.Run(RowJob.Parts(dstRows, (long)n * width, threads));
    }

    /// <summary>dst[i] (+)= w[i]·table[idx[i]] (w null: 1), split by gathered row. Arguments already checked.</summary>
    internal static unsafe void Gather(float* table, int* idx, float* w, float* dst, int n, int width, bool accumulate, SimdWidth simd, int threads)
    {
        var job = RowJob.Get();
        job.A = table; job.B = w; job.C = dst; job.Ints = idx;
        job.Cols = width; job.Items = n; job.Flag = accumulate ? 1 : 0; job.Width = simd;
        job.Body = &GatherBody;
        job.Run(RowJob.Parts(n, (long)n * width, threads));
    }

    static unsafe void ScatterBody(RowJob job, int start, int end)
    {
        // Every part scans all indices but adds only into its own destination rows: no two
        // threads touch one row, and each row receives its sources in index order.
        int width = job.Cols, n = job.Count;
        uint span = (uint)(end - start);
        for (int i = 0; i < n; i++)
        {
            int d = job.Ints[i];
            if ((uint)(d - start) >= span) continue;
            float w = job.B == null ? 1f : job.B[i];
            VectorMath.AddScaled(new ReadOnlySpan<float>(job.A + (long)i * width, width), w, new Span<float>(job.C + (long)d * width, width), job.Width);
        }
    }

    static unsafe void GatherBody(RowJob job, int start, int end)
    {
        int width = job.Cols;
        for (int i = start; i < end; i++)
        {
            var from = new ReadOnlySpan<float>(job.A + (long)job.Ints[i] * width, width);
            var to = new Span<float>(job.C + (long)i * width, width);
            if (job.Flag == 0) from.CopyTo(to);
            else VectorMath.AddScaled(from, job.B == null ? 1f : job.B[i], to, job.Width);
        }
    }

    static unsafe void WeightsBody(RowJob job, int start, int end)
    {
        int width = job.Cols;
        for (int i = start; i < end; i++)
            job.C[i] += VectorMath.Dot(new ReadOnlySpan<float>(job.A + (long)i * width, width),
                new ReadOnlySpan<float>(job.B + (long)job.Ints[i] * width, width), job.Width);
    }

    /// <summary>The definition, generic so it runs in double as the test oracle: dst[indices[i]] += w[i]·src[i]. Accumulates.</summary>
    internal static void ReferenceForward<T>(ReadOnlySpan<T> src, ReadOnlySpan<int> indices, ReadOnlySpan<T> weights, Span<T> dst, int width)
        where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < indices.Length; i++)
        {
            T w = weights.IsEmpty ? T.One : weights[i];
            for (int c = 0; c < width; c++) dst[indices[i] * width + c] += w * src[i * width + c];
        }
    }

    /// <summary>Both gradients, generic: dSrc[i] += w[i]·dDst[indices[i]]; dWeights[i] += src[i]·dDst[indices[i]] (skipped when weights is empty). Accumulates.</summary>
    internal static void ReferenceBackward<T>(ReadOnlySpan<T> src, ReadOnlySpan<int> indices, ReadOnlySpan<T> weights, ReadOnlySpan<T> dDst,
        Span<T> dSrc, Span<T> dWeights, int width) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < indices.Length; i++)
        {
            T w = weights.IsEmpty ? T.One : weights[i];
            T dot = T.Zero;
            for (int c = 0; c < width; c++)
            {
                T g = dDst[indices[i] * width + c];
                dSrc[i * width + c] += w * g;
                dot += src[i * width + c] * g;
            }
            if (!weights.IsEmpty) dWeights[i] += dot;
        }
    }
}
