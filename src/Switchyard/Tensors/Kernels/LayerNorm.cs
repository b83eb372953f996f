using System.Numerics;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// LayerNorm over the last dimension, as PyTorch <c>F.layer_norm</c>:
/// y = (x − mean)·rstd·weight + bias with rstd = 1/√(var + eps), var the biased variance.
/// The per-row mean and rstd are saved for the backward pass. The bias may be omitted (empty span),
/// as in models built with <c>bias=False</c>.
/// </summary>
public static unsafe class LayerNorm
{
    // Weight gradients are reduced over fixed 256-column strips: a strip's two accumulators (2 KB)
    // stay in L1 while all rows stream past, and its result does not depend on which thread ran it.
    const int StripCols = 256;

    /// <summary>y[r, :] = (x[r, :] − mean[r])·rstd[r]·weight + bias.</summary>
    /// <param name="x">Input, rows × cols.</param>
    /// <param name="weight">Per-column scale, cols.</param>
    /// <param name="bias">Per-column shift, cols; or empty for none.</param>
    /// <param name="y">Output, rows × cols. May be the same span as <paramref name="x"/> (then backward cannot run).</param>
    /// <param name="mean">Receives the mean of each row (rows).</param>
    /// <param name="rstd">Receives 1/√(var + eps) of each row (rows).</param>
    /// <param name="rows">Number of rows (≥ 0).</param>
    /// <param name="cols">Normalised width (≥ 1).</param>
    /// <param name="eps">Added to the variance (≥ 0), e.g. <c>layer_norm_eps</c>.</param>
    /// <exception cref="ArgumentException">A span's length does not match rows and cols.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Negative rows, cols below 1, or eps negative or not finite.</exception>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        Span<float> mean, Span<float> rstd, int rows, int cols, float eps) =>
        Forward(x, weight, bias, y, mean, rstd, rows, cols, eps, Simd.Best, ParallelRunner.Threads);

    /// <summary>
    /// Accumulates the gradients of <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, int, int, float)"/>:
    /// with x̂ = (x − mean)·rstd and g = dy·weight, dx += rstd·(g − mean(g) − x̂·mean(g·x̂)),
    /// dWeight[j] += Σᵣ dy·x̂ and dBias[j] += Σᵣ dy. The parameter gradients are reduced over rows
    /// in a fixed order, whatever the thread count. <paramref name="dBias"/> may be empty (no bias).
    /// </summary>
    /// <exception cref="ArgumentException">A span's length does not match rows and cols.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Negative rows or cols below 1.</exception>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
        ReadOnlySpan<float> dy, Span<float> dx, Span<float> dWeight, Span<float> dBias, int rows, int cols) =>
        Backward(x, weight, mean, rstd, dy, dx, dWeight, dBias, rows, cols, Simd.Best, ParallelRunner.Threads);

    internal static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> y,
        Span<float> mean, Span<float> rstd, int rows, int cols, float eps, SimdWidth width, int threads)
    {
        ThrowHelper.CheckNonNegative(rows);
        ThrowHelper.CheckAtLeast(cols, 1); // a norm over zero columns is undefined
        ThrowHelper.CheckFiniteNonNegative(eps);
        ThrowHelper.CheckLength(nameof(x), x.Length, "rows", rows, "cols", cols);
        ThrowHelper.CheckOnePer(nameof(weight), weight.Length, "column", cols);
        if (!bias.IsEmpty) ThrowHelper.CheckOnePer(nameof(bias), bias.Length, "column", cols);
        ThrowHelper.CheckLength(nameof(y), y.Length, "rows", rows, "cols", cols);
        ThrowHelper.CheckOnePer(nameof(mean), mean.Length, "row", rows);
        ThrowHelper.CheckOnePer(nameof(rstd), rstd.Length, "row", rows);
        int parts = RowParts(rows, cols, threads);
        fixed (float* px = x, pw = weight, pb = bias, py = y, pm = mean, ps = rstd)
        {
            if (parts == 1)
            {
                ForwardRows(px, pw, pb, py, pm, ps, 0, rows, cols, eps, width);
                return;
            }
            var job = ForwardJob.Cached ??= new ForwardJob();
            job.X = px; job.W = pw; job.B = pb; job.Y = py; job.Mean = pm; job.Rstd = ps;
            job.Rows = rows; job.Cols = cols; job.Eps = eps; job.Width = width;
            ParallelRunner.Run(job, parts);
            job.X = job.W = job.B = job.Y = job.Mean = job.Rstd = null;
        }
    }

    internal static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd,
        ReadOnlySpan<float> dy, Span<float> dx, Span<float> dWeight, Span<float> dBias, int rows, int cols, SimdWidth width, int threads)
    {
        ThrowHelper.CheckNonNegative(rows);
        ThrowHelper.CheckAtLeast(cols, 1); // a norm over zero columns is undefined
        ThrowHelper.CheckLength(nameof(x), x.Length, "rows", rows, "cols", cols);
        ThrowHelper.CheckOnePer(nameof(weight), weight.Length, "column", cols);
        ThrowHelper.CheckOnePer(nameof(mean), mean.Length, "row", rows);
        ThrowHelper.CheckOnePer(nameof(rstd), rstd.Length, "row", rows);
        ThrowHelper.CheckLength(nameof(dy), dy.Length, "rows", rows, "cols", cols);
        ThrowHelper.CheckLength(nameof(dx), dx.Length, "rows", rows, "cols", cols);
        ThrowHelper.CheckOnePer(nameof(dWeight), dWeight.Length, "column", cols);
        if (!dBias.IsEmpty) ThrowHelper.CheckOnePer(nameof(dBias), dBias.Length, "column", cols);
        int parts = RowParts(rows, cols, threads);
        fixed (float* px = x, pw = weight, pm = mean, ps = rstd, pdy = dy, pdx = dx, pdw = dWeight, pdb = dBias)
        {
            if (parts == 1) BackwardRows(px, pw, pm, ps, pdy, pdx, 0, rows, cols, width);
            else
            {
                var job = BackwardJob.Cached ??= new BackwardJob();
                job.X = px; job.W = pw; job.Mean = pm; job.Rstd = ps; job.Dy = pdy; job.Dx = pdx;
                job.Rows = rows; job.Cols = cols; job.Width = width;
                ParallelRunner.Run(job, parts);
                job.X = job.W = job.Mean = job.Rstd = job.Dy = job.Dx = null;
            }
            AccumulateAffineGradients(px, pdy, pm, ps, pdw, dBias.IsEmpty ? null : pdb, rows, cols, width, threads);
        }
    }

    /// <summary>The definition (two-pass biased variance), generic so it runs in double as the test oracle.</summary>
    internal static void ReferenceForward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias, Span<T> y,
        Span<T> mean, Span<T> rstd, int rows, int cols, T eps) where T : IFloatingPointIeee754<T>
    {
        T n = T.CreateChecked(cols);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> xr = x.Slice(r * cols, cols);
            T s = T.Zero;
            for (int j = 0; j < cols; j++) s += xr[j];
            T m = s / n, v = T.Zero;
            for (int j = 0; j < cols; j++) v += (xr[j] - m) * (xr[j] - m);
            T inv = T.One / T.Sqrt(v / n + eps);
            mean[r] = m;
            rstd[r] = inv;
            for (int j = 0; j < cols; j++)
                y[r * cols + j] = (xr[j] - m) * inv * weight[j] + (bias.IsEmpty ? T.Zero : bias[j]);
        }
    }

    /// <summary>The derivative of <see cref="ReferenceForward{T}"/> (accumulates into dx, dWeight and dBias).</summary>
    internal static void ReferenceBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> mean, ReadOnlySpan<T> rstd,
        ReadOnlySpan<T> dy, Span<T> dx, Span<T> dWeight, Span<T> dBias, int rows, int cols) where T : IFloatingPointIeee754<T>
    {
        T n = T.CreateChecked(cols);
        for (int r = 0; r < rows; r++)
        {
            T m = mean[r], inv = rstd[r], sg = T.Zero, sgx = T.Zero;
            for (int j = 0; j < cols; j++)
            {
                int k = r * cols + j;
                T g = dy[k] * weight[j], xh = (x[k] - m) * inv;
                sg += g;
                sgx += g * xh;
            }
            for (int j = 0; j < cols; j++)
            {
                int k = r * cols + j;
                T g = dy[k] * weight[j], xh = (x[k] - m) * inv;
                dx[k] += inv * (g - sg / n - xh * sgx / n);
                dWeight[j] += dy[k] * xh;
                if (!dBias.IsEmpty) dBias[j] += dy[k];
            }
        }
    }

    /// <summary>Parts for a row-parallel norm: one per thread once each gets enough work to pay for waking it.</summary>
    internal static int RowParts(int rows, int cols, int threads) =>
        Math.Min(ElementwiseLoop.Parts((long)rows * cols, threads), Math.Max(rows, 1));

    /// <summary>First row of part <paramref name="part"/> (equal static split).</summary>
    internal static int RowStart(int rows, int part, int parts) => (int)((long)rows * part / parts);

    /// <summary>
    /// dWeight[j] += Σᵣ dy[r, j]·(x[r, j] − mean[r])·rstd[r] and dBias[j] += Σᵣ dy[r, j], over fixed
    /// column strips so each element sums its rows in row order: bit-identical for any thread
    /// count, no atomics, no partial buffers. <paramref name="mean"/> null means 0 (RMSNorm);
    /// <paramref name="dBias"/> null skips the bias.
    /// </summary>
    internal static void AccumulateAffineGradients(float* x, float* dy, float* mean, float* rstd, float* dWeight, float* dBias,
        int rows, int cols, SimdWidth width, int threads)
    {
        int strips = (cols + StripCols - 1) / StripCols;
        int parts = Math.Min(ElementwiseLoop.Parts((long)rows * cols, threads), strips);
        if (parts <= 1)
        {
            GradientStrips(x, dy, mean, rstd, dWeight, dBias, rows, cols, 0, strips, width);
            return;
        }
        var job = GradientJob.Cached ??= new GradientJob();
        job.X = x; job.Dy = dy; job.Mean = mean; job.Rstd = rstd; job.DWeight = dWeight; job.DBias = dBias;
        job.Rows = rows; job.Cols = cols; job.Strips = strips; job.Width = width;
        ParallelRunner.Run(job, parts);
        job.X = job.Dy = job.Mean = job.Rstd = job.DWeight = job.DBias = null;
    }

    static void GradientStrips(float* x, float* dy, float* mean, float* rstd, float* dWeight, float* dBias,
        int rows, int cols, int s0, int s1, SimdWidth width)
    {
        float* accW = stackalloc float[StripCols];
        float* accB = stackalloc float[StripCols];
        for (int s = s0; s < s1; s++)
        {
            int c0 = s * StripCols, n = Math.Min(StripCols, cols - c0);
            new Span<float>(accW, n).Clear();
            new Span<float>(accB, n).Clear();
            for (int r = 0; r < rows; r++)
            {
                long o = (long)r * cols + c0;
                float m = mean == null ? 0f : mean[r], inv = rstd[r];
                float* xr = x + o, dyr = dy + o;
                int j = 0;
                if (width == SimdWidth.V512)
                {
                    Vector512<float> vm = Vector512.Create(m), vi = Vector512.Create(inv);
                    for (; j <= n - Vector512<float>.Count; j += Vector512<float>.Count)
                    {
                        var d = Vector512.Load(dyr + j);
                        Vector512.FusedMultiplyAdd(d, (Vector512.Load(xr + j) - vm) * vi, Vector512.Load(accW + j)).Store(accW + j);
                        if (dBias != null) (Vector512.Load(accB + j) + d).Store(accB + j);
                    }
                }
                else if (width == SimdWidth.V256)
                {
                    Vector256<float> vm = Vector256.Create(m), vi = Vector256.Create(inv);
                    for (; j <= n - Vector256<float>.Count; j += Vector256<float>.Count)
                    {
                        var d = Vector256.Load(dyr + j);
                        Vector256.FusedMultiplyAdd(d, (Vector256.Load(xr + j) - vm) * vi, Vector256.Load(accW + j)).Store(accW + j);
                        if (dBias != null) (Vector256.Load(accB + j) + d).Store(accB + j);
                    }
                }
                for (; j < n; j++)
                {
                    accW[j] = MathF.FusedMultiplyAdd(dyr[j], (xr[j] - m) * inv, accW[j]);
                    if (dBias != null) accB[j] += dyr[j];
                }
            }
            for (int j = 0; j < n; j++) dWeight[c0 + j] += accW[j];
            if (dBias != null)
                for (int j = 0; j < n; j++) dBias[c0 + j] += accB[j];
        }
    }

    static void ForwardRows(float* x, float* w, float* b, float* y, float* mean, float* rstd, int r0, int r1, int cols, float eps, SimdWidth width)
    {
        for (int r = r0; r < r1; r++)
        {
            float* xr = x + (long)r * cols, yr = y + (long)r * cols;
            // Two passes (mean, then squared deviations): no cancellation when |mean| ≫ std.
            float m = VectorMath.Sum(xr, cols, width) / cols;
            float inv = 1f / MathF.Sqrt(VectorMath.SumSquares(xr, cols, m, width) / cols + eps);
            mean[r] = m;
            rstd[r] = inv;
            int j = 0;
            if (width == SimdWidth.V512)
            {
                Vector512<float> vm = Vector512.Create(m), vi = Vector512.Create(inv);
                for (; j <= cols - Vector512<float>.Count; j += Vector512<float>.Count)
                {
                    var vb = b == null ? Vector512<float>.Zero : Vector512.Load(b + j);
                    Vector512.FusedMultiplyAdd((Vector512.Load(xr + j) - vm) * vi, Vector512.Load(w + j), vb).Store(yr + j);
                }
            }
            else if (width == SimdWidth.V256)
            {
                Vector256<float> vm = Vector256.Create(m), vi = Vector256.Create(inv);
                for (; j <= cols - Vector256<float>.Count; j += Vector256<float>.Count)
                {
                    var vb = b == null ? Vector256<float>.Zero : Vector256.Load(b + j);
                    Vector256.FusedMultiplyAdd((Vector256.Load(xr + j) - vm) * vi, Vector256.Load(w + j), vb).Store(yr + j);
                }
            }
            for (; j < cols; j++)
                yr[j] = MathF.FusedMultiplyAdd((xr[j] - m) * inv, w[j], b == null ? 0f : b[j]);
        }
    }

    static void BackwardRows(float* x, float* w, float* mean, float* rstd, float* dy, float* dx, int r0, int r1, int cols, SimdWidth width)
    {
        for (int r = r0; r < r1; r++)
        {
            long o = (long)r * cols;
            float* xr = x + o, dyr = dy + o, dxr = dx + o;
            float m = mean[r], inv = rstd[r];
            // Σ g·x̂ = rstd·Σ g·(x − mean).
            float sgx = VectorMath.Dot3(dyr, w, xr, m, cols, width, out float sg) * inv;
            // dx = rstd·(g − a − x̂·c) = rstd·g − rstd·a − (x − mean)·rstd²·c, a = Σg/n, c = Σg·x̂/n.
            float a = sg / cols, c = sgx / cols;
            float k = inv * inv * c;
            float shift = inv * a;
            int j = 0;
            if (width == SimdWidth.V512)
            {
                Vector512<float> vm = Vector512.Create(m), vi = Vector512.Create(inv), vk = Vector512.Create(-k), vs = Vector512.Create(shift);
                for (; j <= cols - Vector512<float>.Count; j += Vector512<float>.Count)
                {
                    var t = Vector512.FusedMultiplyAdd(Vector512.Load(xr + j) - vm, vk, Vector512.Load(dyr + j) * Vector512.Load(w + j) * vi);
                    (Vector512.Load(dxr + j) + (t - vs)).Store(dxr + j);
                }
            }
            else if (width == SimdWidth.V256)
            {
                Vector256<float> vm = Vector256.Create(m), vi = Vector256.Create(inv), vk = Vector256.Create(-k), vs = Vector256.Create(shift);
                for (; j <= cols - Vector256<float>.Count; j += Vector256<float>.Count)
                {
                    var t = Vector256.FusedMultiplyAdd(Vector256.Load(xr + j) - vm, vk, Vector256.Load(dyr + j) * Vector256.Load(w + j) * vi);
                    (Vector256.Load(dxr + j) + (t - vs)).Store(dxr + j);
                }
            }
            for (; j < cols; j++)
            {
                float t = MathF.FusedMultiplyAdd(xr[j] - m, -k, dyr[j] * w[j] * inv);
                dxr[j] += t - shift;
            }
        }
    }

    sealed class ForwardJob : IParallelJob
    {
        [ThreadStatic] internal static ForwardJob? Cached;
        public float* X, W, B, Y, Mean, Rstd;
        public int Rows, Cols;
        public float Eps;
        public SimdWidth Width;

        public void Execute(int part, int parts) =>
            ForwardRows(X, W, B, Y, Mean, Rstd, RowStart(Rows, part, parts), RowStart(Rows, part + 1, parts), Cols, Eps, Width);
    }

    sealed class BackwardJob : IParallelJob
    {
        [ThreadStatic] internal static BackwardJob? Cached;
        public float* X, W, Mean, Rstd, Dy, Dx;
        public int Rows, Cols;
        public SimdWidth Width;

        public void Execute(int part, int parts) =>
            BackwardRows(X, W, Mean, Rstd, Dy, Dx, RowStart(Rows, part, parts), RowStart(Rows, part + 1, parts), Cols, Width);
    }

    sealed class GradientJob : IParallelJob
    {
        [ThreadStatic] internal static GradientJob? Cached;
        public float* X, Dy, Mean, Rstd, DWeight, DBias;
        public int Rows, Cols, Strips;
        public SimdWidth Width;

        public void Execute(int part, int parts) =>
            GradientStrips(X, Dy, Mean, Rstd, DWeight, DBias, Rows, Cols, RowStart(Strips, part, parts), RowStart(Strips, part + 1, parts), Width);
    }
}
