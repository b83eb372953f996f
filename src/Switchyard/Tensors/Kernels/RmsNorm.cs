using System.Numerics;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// RMSNorm over the last dimension, as Hugging Face <c>LlamaRMSNorm</c>/<c>MixtralRMSNorm</c>:
/// y = (x · rsqrt(mean(x²) + eps)) · weight, computed in float32, the weight applied after
/// normalising. The per-row 1/rms is saved for the backward pass.
/// </summary>
public static unsafe class RmsNorm
{
    /// <summary>
    /// y[r, :] = x[r, :]·invRms[r]·weight with invRms[r] = 1/√(mean(x[r, :]²) + eps).
    /// </summary>
    /// <param name="x">Input, rows × cols.</param>
    /// <param name="weight">Per-column scale, cols.</param>
    /// <param name="y">Output, rows × cols. May be the same span as <paramref name="x"/> (then backward cannot run).</param>
    /// <param name="invRms">Receives 1/rms per row (rows), needed by <see cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, int, int)"/>.</param>
    /// <param name="rows">Number of rows (≥ 0).</param>
    /// <param name="cols">Normalised width (≥ 1).</param>
    /// <param name="eps">Added to the mean square (≥ 0), e.g. <c>rms_norm_eps</c>.</param>
    /// <exception cref="ArgumentException">A span's length does not match rows and cols.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Negative rows, cols below 1, or eps negative or not finite.</exception>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, Span<float> invRms, int rows, int cols, float eps) =>
        Forward(x, weight, y, invRms, rows, cols, eps, Simd.Best, ParallelRunner.Threads);

    /// <summary>
    /// Accumulates the gradients of <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, int, int, float)"/>:
    /// dx[r, j] += r·(dy·w)[j] − x[r, j]·r³·Σₖ(dy·w·x)[k]/cols and dWeight[j] += Σᵣ dy[r, j]·x[r, j]·r (r = invRms[row]).
    /// The weight gradient is reduced over rows in a fixed order, whatever the thread count.
    /// </summary>
    /// <exception cref="ArgumentException">A span's length does not match rows and cols.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Negative rows or cols below 1.</exception>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> invRms, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> dWeight, int rows, int cols) =>
        Backward(x, weight, invRms, dy, dx, dWeight, rows, cols, Simd.Best, ParallelRunner.Threads);

    internal static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> y, Span<float> invRms, int rows, int cols, float eps,
        SimdWidth width, int threads)
    {
        ThrowHelper.CheckNonNegative(rows);
        ThrowHelper.CheckAtLeast(cols, 1); // a norm over zero columns is undefined
        ThrowHelper.CheckFiniteNonNegative(eps);
        ThrowHelper.CheckLength(nameof(x), x.Length, "rows", rows, "cols", cols);
        ThrowHelper.CheckOnePer(nameof(weight), weight.Length, "column", cols);
        ThrowHelper.CheckLength(nameof(y), y.Length, "rows", rows, "cols", cols);
        ThrowHelper.CheckOnePer(nameof(invRms), invRms.Length, "row", rows);
        int parts = LayerNorm.RowParts(rows, cols, threads);
        fixed (float* px = x, pw = weight, py = y, pr = invRms)
        {
            if (parts == 1)
            {
                ForwardRows(px, pw, py, pr, 0, rows, cols, eps, width);
                return;
            }
            var job = ForwardJob.Cached ??= new ForwardJob();
            job.X = px; job.W = pw; job.Y = py; job.InvRms = pr;
            job.Rows = rows; job.Cols = cols; job.Eps = eps; job.Width = width;
            ParallelRunner.Run(job, parts);
            job.X = job.W = job.Y = job.InvRms = null;
        }
    }

    internal static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> invRms, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> dWeight, int rows, int cols, SimdWidth width, int threads)
    {
        ThrowHelper.CheckNonNegative(rows);
        ThrowHelper.CheckAtLeast(cols, 1); // a norm over zero columns is undefined
        ThrowHelper.CheckLength(nameof(x), x.Length, "rows", rows, "cols", cols);
        ThrowHelper.CheckOnePer(nameof(weight), weight.Length, "column", cols);
        ThrowHelper.CheckOnePer(nameof(invRms), invRms.Length, "row", rows);
        ThrowHelper.CheckLength(nameof(dy), dy.Length, "rows", rows, "cols", cols);
        ThrowHelper.CheckLength(nameof(dx), dx.Length, "rows", rows, "cols", cols);
        ThrowHelper.CheckOnePer(nameof(dWeight), dWeight.Length, "column", cols);
        int parts = LayerNorm.RowParts(rows, cols, threads);
        fixed (float* px = x, pw = weight, pr = invRms, pdy = dy, pdx = dx, pdw = dWeight)
        {
            if (parts == 1) BackwardRows(px, pw, pr, pdy, pdx, 0, rows, cols, width);
            else
            {
                var job = BackwardJob.Cached ??= new BackwardJob();
                job.X = px; job.W = pw; job.InvRms = pr; job.Dy = pdy; job.Dx = pdx;
                job.Rows = rows; job.Cols = cols; job.Width = width;
                ParallelRunner.Run(job, parts);
                job.X = job.W = job.InvRms = job.Dy = job.Dx = null;
            }
            // Separate pass over column strips: each weight element sums its rows in row order,
            // so the result is the same for any thread count and needs no partial buffers.
            LayerNorm.AccumulateAffineGradients(px, pdy, mean: null, pr, pdw, dBias: null, rows, cols, width, threads);
        }
    }

    /// <summary>The definition, generic so it runs in double as the test oracle.</summary>
    internal static void ReferenceForward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, Span<T> y, Span<T> invRms, int rows, int cols, T eps)
        where T : IFloatingPointIeee754<T>
    {
        T n = T.CreateChecked(cols);
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> xr = x.Slice(r * cols, cols);
            T ss = T.Zero;
            for (int j = 0; j < cols; j++) ss += xr[j] * xr[j];
            T inv = T.One / T.Sqrt(ss / n + eps);
            invRms[r] = inv;
            for (int j = 0; j < cols; j++) y[r * cols + j] = xr[j] * inv * weight[j];
        }
    }

    /// <summary>The derivative of <see cref="ReferenceForward{T}"/> (accumulates into dx and dWeight).</summary>
    internal static void ReferenceBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, ReadOnlySpan<T> invRms, ReadOnlySpan<T> dy,
        Span<T> dx, Span<T> dWeight, int rows, int cols) where T : IFloatingPointIeee754<T>
    {
        T n = T.CreateChecked(cols);
        for (int r = 0; r < rows; r++)
        {
            T inv = invRms[r], dot = T.Zero;
            for (int j = 0; j < cols; j++) dot += dy[r * cols + j] * weight[j] * x[r * cols + j];
            T c = inv * inv * inv * dot / n;
            for (int j = 0; j < cols; j++)
            {
                int k = r * cols + j;
                dx[k] += inv * dy[k] * weight[j] - x[k] * c;
                dWeight[j] += dy[k] * x[k] * inv;
            }
        }
    }

    static void ForwardRows(float* x, float* w, float* y, float* invRms, int r0, int r1, int cols, float eps, SimdWidth width)
    {
        for (int r = r0; r < r1; r++)
        {
            float* xr = x + (long)r * cols, yr = y + (long)r * cols;
            // Mean as a division, like torch's mean: matches HF to the last bit of the sum's rounding.
            float inv = 1f / MathF.Sqrt(VectorMath.SumSquares(xr, cols, 0f, width) / cols + eps);
            invRms[r] = inv;
            int j = 0;
            if (width == SimdWidth.V512)
            {
                var vi = Vector512.Create(inv);
                for (; j <= cols - Vector512<float>.Count; j += Vector512<float>.Count)
                    (Vector512.Load(xr + j) * vi * Vector512.Load(w + j)).Store(yr + j);
            }
            else if (width == SimdWidth.V256)
            {
                var vi = Vector256.Create(inv);
                for (; j <= cols - Vector256<float>.Count; j += Vector256<float>.Count)
                    (Vector256.Load(xr + j) * vi * Vector256.Load(w + j)).Store(yr + j);
            }
            for (; j < cols; j++) yr[j] = xr[j] * inv * w[j];
        }
    }

    static void BackwardRows(float* x, float* w, float* invRms, float* dy, float* dx, int r0, int r1, int cols, SimdWidth width)
    {
        for (int r = r0; r < r1; r++)
        {
            long o = (long)r * cols;
            float* xr = x + o, dyr = dy + o, dxr = dx + o;
            float inv = invRms[r];
            float dot = VectorMath.Dot3(dyr, w, xr, 0f, cols, width, out _);
            // dx = r·(g − x·c) with g = dy·w and c = r²·Σ(g·x)/cols.
            float c = inv * inv * dot / cols;
            int j = 0;
            if (width == SimdWidth.V512)
            {
                Vector512<float> vi = Vector512.Create(inv), vc = Vector512.Create(-c);
                for (; j <= cols - Vector512<float>.Count; j += Vector512<float>.Count)
                {
                    var t = Vector512.FusedMultiplyAdd(Vector512.Load(xr + j), vc, Vector512.Load(dyr + j) * Vector512.Load(w + j));
                    Vector512.FusedMultiplyAdd(vi, t, Vector512.Load(dxr + j)).Store(dxr + j);
                }
            }
            else if (width == SimdWidth.V256)
            {
                Vector256<float> vi = Vector256.Create(inv), vc = Vector256.Create(-c);
                for (; j <= cols - Vector256<float>.Count; j += Vector256<float>.Count)
                {
                    var t = Vector256.FusedMultiplyAdd(Vector256.Load(xr + j), vc, Vector256.Load(dyr + j) * Vector256.Load(w + j));
                    Vector256.FusedMultiplyAdd(vi, t, Vector256.Load(dxr + j)).Store(dxr + j);
                }
            }
            for (; j < cols; j++)
            {
                float t = MathF.FusedMultiplyAdd(xr[j], -c, dyr[j] * w[j]);
                dxr[j] = MathF.FusedMultiplyAdd(inv, t, dxr[j]);
            }
        }
    }

    sealed class ForwardJob : IParallelJob
    {
        [ThreadStatic] internal static ForwardJob? Cached;
        public float* X, W, Y, InvRms;
        public int Rows, Cols;
        public float Eps;
        public SimdWidth Width;

        public void Execute(int part, int parts) =>
            ForwardRows(X, W, Y, InvRms, LayerNorm.RowStart(Rows, part, parts), LayerNorm.RowStart(Rows, part + 1, parts), Cols, Eps, Width);
    }

    sealed class BackwardJob : IParallelJob
    {
        [ThreadStatic] internal static BackwardJob? Cached;
        public float* X, W, InvRms, Dy, Dx;
        public int Rows, Cols;
        public SimdWidth Width;

        public void Execute(int part, int parts) =>
            BackwardRows(X, W, InvRms, Dy, Dx, LayerNorm.RowStart(Rows, part, parts), LayerNorm.RowStart(Rows, part + 1, parts), Cols, Width);
    }
}
