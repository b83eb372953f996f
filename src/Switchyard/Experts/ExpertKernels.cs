using System.Numerics;
using System.Runtime.Intrinsics;
using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Experts;

/// <summary>
/// The non-GEMM pieces of the MoE hot path, over raw pointers the ops pin: SwiGLU on fused
/// [rows, 2F] gate|up rows, and the combine (per-token weighted sum of its expert rows) with its
/// backward. Each is split over <see cref="ParallelRunner"/> by output row (token or slot), so
/// every row is written by one part in a fixed order: bit-identical for every thread count.
/// </summary>
internal static unsafe class ExpertKernels
{
    // Below this many floats of work per part a thread hand-off costs more than it saves.
    const long MinWorkPerPart = 1 << 15;

    /// <summary>h[r, f] = silu(gu[r, f])·gu[r, F + f] for r &lt; rows, f &lt; F.</summary>
    public static void SwiGluRows(float* gu, float* h, int rows, int f, SimdWidth width, int threads)
    {
        var job = ExpertJob.Get();
        job.A = gu; job.B = h; job.Cols = f; job.Items = rows; job.Width = width;
        job.Body = &SwiGluBody;
        job.Run(Parts(rows, (long)rows * f, threads));
    }

    /// <summary>In place: gu[r] ← (dh·u·silu'(g), dh·silu(g)), the gradient of <see cref="SwiGluRows"/> (not accumulated).</summary>
    public static void SwiGluRowsBackward(float* gu, float* dh, int rows, int f, SimdWidth width, int threads)
    {
        var job = ExpertJob.Get();
        job.A = gu; job.B = dh; job.Cols = f; job.Items = rows; job.Width = width;
        job.Body = &SwiGluBackwardBody;
        job.Run(Parts(rows, (long)rows * f, threads));
    }

    /// <summary>
    /// y[t] = scale[t]·shared[t] + Σ_{s ∈ slots(t)} g[s]·outs[s] (ascending expert order; shared
    /// null: 0; scale null: 1). Tokens without slots or shared rows get 0. Overwrites y.
    /// </summary>
    public static void Combine(float* outs, float* g, int* itemOffsets, int* itemSlot, float* shared, float* scale, float* y,
        int tokens, int d, SimdWidth width, int threads)
    {
        var job = ExpertJob.Get();
        job.A = outs; job.B = g; job.C = shared; job.D = scale; job.E = y;
        job.I0 = itemOffsets; job.I1 = itemSlot;
        job.Cols = d; job.Items = tokens; job.Width = width;
        job.Body = &CombineBody;
        job.Run(Parts(tokens, (long)tokens * d * 3, threads));
    }

    /// <summary>dOuts[s] += g[s]·dy[item[s]]; dg[s] += outs[s]·dy[item[s]] (either output may be null).</summary>
    public static void CombineBackwardSlots(float* outs, float* g, int* item, float* dy, float* dOuts, float* dg, int n, int d,
        SimdWidth width, int threads)
    {
        var job = ExpertJob.Get();
        job.A = outs; job.B = g; job.C = dy; job.D = dOuts; job.E = dg; job.I0 = item;
        job.Cols = d; job.Items = n; job.Width = width;
        job.Body = &CombineSlotsBody;
        job.Run(Parts(n, (long)n * d * 2, threads));
    }

    /// <summary>dShared[t] += scale[t]·dy[t]; dScale[t] += shared[t]·dy[t] (scale null: 1; either output may be null).</summary>
    public static void CombineBackwardShared(float* shared, float* scale, float* dy, float* dShared, float* dScale, int tokens, int d,
        SimdWidth width, int threads)
    {
        var job = ExpertJob.Get();
        job.A = shared; job.B = scale; job.C = dy; job.D = dShared; job.E = dScale;
        job.Cols = d; job.Items = tokens; job.Width = width;
        job.Body = &CombineSharedBody;
        job.Run(Parts(tokens, (long)tokens * d * 2, threads));
    }

    static int Parts(int items, long work, int threads)
    {
        if (threads <= 1 || items <= 1) return 1;
        return (int)Math.Max(1, Math.Min(Math.Min(threads, items), work / MinWorkPerPart));
    }

    static void SwiGluBody(ExpertJob job, int start, int end)
    {
        int f = job.Cols;
        for (int r = start; r < end; r++)
            SwiGluRow(job.A + (long)r * 2 * f, job.B + (long)r * f, f, job.Width);
    }

    static void SwiGluBackwardBody(ExpertJob job, int start, int end)
    {
        int f = job.Cols;
        for (int r = start; r < end; r++)
            SwiGluRowBackward(job.A + (long)r * 2 * f, job.B + (long)r * f, f, job.Width);
    }

    static void CombineBody(ExpertJob job, int start, int end)
    {
        int d = job.Cols;
        for (int t = start; t < end; t++)
        {
            var y = new Span<float>(job.E + (long)t * d, d);
            if (job.C == null) y.Clear();
            else
            {
                var s = new ReadOnlySpan<float>(job.C + (long)t * d, d);
                if (job.D == null) s.CopyTo(y);
                else { y.Clear(); VectorMath.AddScaled(s, job.D[t], y, job.Width); }
            }
            for (int m = job.I0[t]; m < job.I0[t + 1]; m++)
            {
                int slot = job.I1[m];
                VectorMath.AddScaled(new ReadOnlySpan<float>(job.A + (long)slot * d, d), job.B[slot], y, job.Width);
            }
        }
    }

    static void CombineSlotsBody(ExpertJob job, int start, int end)
    {
        int d = job.Cols;
        for (int s = start; s < end; s++)
        {
            var dy = new ReadOnlySpan<float>(job.C + (long)job.I0[s] * d, d);
            if (job.E != null) job.E[s] += VectorMath.Dot(new ReadOnlySpan<float>(job.A + (long)s * d, d), dy, job.Width);
            if (job.D != null) VectorMath.AddScaled(dy, job.B[s], new Span<float>(job.D + (long)s * d, d), job.Width);
        }
    }

    static void CombineSharedBody(ExpertJob job, int start, int end)
    {
        int d = job.Cols;
        for (int t = start; t < end; t++)
        {
            var dy = new ReadOnlySpan<float>(job.C + (long)t * d, d);
            if (job.E != null) job.E[t] += VectorMath.Dot(new ReadOnlySpan<float>(job.A + (long)t * d, d), dy, job.Width);
            if (job.D != null) VectorMath.AddScaled(dy, job.B == null ? 1f : job.B[t], new Span<float>(job.D + (long)t * d, d), job.Width);
        }
    }

    // One row of the fused layout: gate in [0, F), up in [F, 2F).
    static void SwiGluRow(float* gu, float* h, int f, SimdWidth width)
    {
        float* up = gu + f;
        int i = 0;
        if (width == SimdWidth.V512)
        {
            for (; i <= f - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var g = Vector512.Load(gu + i);
                (g * VectorMath.Sigmoid(g, out _) * Vector512.Load(up + i)).Store(h + i);
            }
        }
        else if (width == SimdWidth.V256)
        {
            for (; i <= f - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var g = Vector256.Load(gu + i);
                (g * VectorMath.Sigmoid(g, out _) * Vector256.Load(up + i)).Store(h + i);
            }
        }
        for (; i < f; i++) h[i] = gu[i] * VectorMath.Sigmoid(gu[i], out _) * up[i];
    }

    // One exponential serves both gradients; gate/up are read before their gradients overwrite them.
    static void SwiGluRowBackward(float* gu, float* dh, int f, SimdWidth width)
    {
        float* up = gu + f;
        int i = 0;
        if (width == SimdWidth.V512)
        {
            for (; i <= f - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var g = Vector512.Load(gu + i);
                var u = Vector512.Load(up + i);
                var dy = Vector512.Load(dh + i);
                var s = VectorMath.Sigmoid(g, out var slope);
                (dy * u * Vector512.FusedMultiplyAdd(g, slope, s)).Store(gu + i);
                (dy * (g * s)).Store(up + i);
            }
        }
        else if (width == SimdWidth.V256)
        {
            for (; i <= f - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var g = Vector256.Load(gu + i);
                var u = Vector256.Load(up + i);
                var dy = Vector256.Load(dh + i);
                var s = VectorMath.Sigmoid(g, out var slope);
                (dy * u * Vector256.FusedMultiplyAdd(g, slope, s)).Store(gu + i);
                (dy * (g * s)).Store(up + i);
            }
        }
        for (; i < f; i++)
        {
            float g = gu[i], u = up[i], s = VectorMath.Sigmoid(g, out float slope);
            gu[i] = dh[i] * u * MathF.FusedMultiplyAdd(g, slope, s);
            up[i] = dh[i] * (g * s);
        }
    }

    /// <summary>The SwiGLU expert of one row, in any precision: y = W_down·(silu(W_gate·x) ∘ (W_up·x)). The test oracle.</summary>
    internal static void ReferenceExpert<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gate, ReadOnlySpan<T> up, ReadOnlySpan<T> down, Span<T> y, int d, int f)
        where T : IFloatingPointIeee754<T>
    {
        Span<T> h = new T[f];
        for (int j = 0; j < f; j++)
        {
            T g = T.Zero, u = T.Zero;
            for (int c = 0; c < d; c++) { g += gate[j * d + c] * x[c]; u += up[j * d + c] * x[c]; }
            h[j] = g / (T.One + T.Exp(-g)) * u;
        }
        for (int c = 0; c < d; c++)
        {
            T s = T.Zero;
            for (int j = 0; j < f; j++) s += down[c * f + j] * h[j];
            y[c] = s;
        }
    }
}

/// <summary>The reusable parallel job of <see cref="ExpertKernels"/> (one per calling thread; a call allocates nothing).</summary>
internal sealed unsafe class ExpertJob : IParallelJob
{
    [ThreadStatic] static ExpertJob? _cached;

    public delegate*<ExpertJob, int, int, void> Body;
    public float* A, B, C, D, E;
    public int* I0, I1;
    public int Items, Cols;
    public SimdWidth Width;

    public static ExpertJob Get()
    {
        var job = _cached ??= new ExpertJob();
        job.A = job.B = job.C = job.D = job.E = null;
        job.I0 = job.I1 = null;
        return job;
    }

    public void Run(int parts)
    {
        if (Items == 0) return;
        if (parts <= 1) Body(this, 0, Items);
        else ParallelRunner.Run(this, parts);
    }

    public void Execute(int part, int parts)
    {
        // Part p always covers the same rows, so results never depend on scheduling.
        int start = (int)((long)Items * part / parts), end = (int)((long)Items * (part + 1) / parts);
        if (start < end) Body(this, start, end);
    }
}
