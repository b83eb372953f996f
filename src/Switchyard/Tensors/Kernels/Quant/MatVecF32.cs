using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// y[t, o] = Σ_i x[t, i]·W[o, i] (+ beta·y[t, o]) for float32 W and a few tokens (decode): each weight row
/// is streamed from memory once and meets every token while it is in L1, four rows at a time so each
/// activation load feeds four independent FMA chains. GEMM would pack W into panels first, which for one
/// token costs a full extra read and write of the weights.
/// </summary>
/// <remarks>
/// Each output is one vector accumulator over the row in order, then <c>Vector.Sum</c>, then the scalar tail:
/// the same instruction sequence whether its row is in a group of four or alone, whatever the partition,
/// so results are bit-identical across thread counts and across token counts up to <see cref="MaxTokens"/>.
/// Widths sum in different orders (relative agreement only).
/// </remarks>
internal sealed unsafe class MatVecF32 : IParallelJob
{
    /// <summary>Token counts up to this take the matrix–vector path; more go to GEMM, whose packing pays off.</summary>
    public const int MaxTokens = 4;

    // Below this many multiply-adds a call stays on the calling thread: waking workers costs more.
    const long ParallelThreshold = 64 * 1024;

    // Rows per part are rounded to this, so parts start on a group of four (no partition splits one).
    const int Group = 4;

    [ThreadStatic] static MatVecF32? _cached;

    float* _w, _x, _y;
    int _tokens, _out, _in;
    float _beta;
    SimdWidth _width;

    /// <summary>The product over pinned pointers; sizes were checked by the caller.</summary>
    public static void Multiply(float* w, float* x, float* y, int tokens, int outFeatures, int inFeatures, float beta,
        SimdWidth width, int threads)
    {
        if (tokens == 0 || outFeatures == 0) return;
        var job = _cached ??= new MatVecF32();
        job._w = w; job._x = x; job._y = y;
        job._tokens = tokens; job._out = outFeatures; job._in = inFeatures;
        job._beta = beta; job._width = width;
        long work = (long)tokens * outFeatures * inFeatures;
        int groups = (outFeatures + Group - 1) / Group;
        int parts = threads <= 1 || work < ParallelThreshold ? 1
            : (int)Math.Min(Math.Min(threads, groups), Math.Max(1, work / (ParallelThreshold / 2)));
        try
        {
            if (parts == 1) job.Execute(0, 1);
            else ParallelRunner.Run(job, parts);
        }
        finally
        {
            job._w = job._x = job._y = null; // no pointer outlives its pin
        }
    }

    public void Execute(int part, int parts)
    {
        int groups = (_out + Group - 1) / Group;
        int start = (int)((long)groups * part / parts) * Group;
        int end = Math.Min(_out, (int)((long)groups * (part + 1) / parts) * Group);
        int n = _in;
        float* sums = stackalloc float[Group];
        int o = start;
        for (; o + Group <= end; o += Group)
        {
            float* w = _w + (long)o * n;
            for (int t = 0; t < _tokens; t++)
            {
                Rows4(w, n, _x + (long)t * n, sums, _width);
                for (int k = 0; k < Group; k++) Store(t, o + k, sums[k]);
            }
        }
        for (; o < end; o++)
            for (int t = 0; t < _tokens; t++) Store(t, o, Row(_w + (long)o * n, _x + (long)t * n, n, _width));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void Store(int t, int o, float dot)
    {
        float* y = _y + (long)t * _out + o;
        *y = _beta == 0f ? dot : dot + _beta * *y;
    }

    /// <summary>One row · x: the sequence <see cref="Rows4"/> runs per row.</summary>
    internal static float Row(float* w, float* x, int n, SimdWidth width)
    {
        int i = 0;
        float sum = 0f;
        if (width == SimdWidth.V512)
        {
            var acc = Vector512<float>.Zero;
            for (; i + 16 <= n; i += 16) acc = Vector512.FusedMultiplyAdd(Vector512.Load(w + i), Vector512.Load(x + i), acc);
            sum = Vector512.Sum(acc);
        }
        else if (width == SimdWidth.V256)
        {
            var acc = Vector256<float>.Zero;
            for (; i + 8 <= n; i += 8) acc = Vector256.FusedMultiplyAdd(Vector256.Load(w + i), Vector256.Load(x + i), acc);
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++) sum = MathF.FusedMultiplyAdd(w[i], x[i], sum);
        return sum;
    }

    /// <summary>Rows w[0..4) (stride n) · x into sums[0..4), each exactly as <see cref="Row"/> computes it.</summary>
    internal static void Rows4(float* w, int n, float* x, float* sums, SimdWidth width)
    {
        float* w0 = w, w1 = w + n, w2 = w + 2L * n, w3 = w + 3L * n;
        int i = 0;
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        if (width == SimdWidth.V512)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 16 <= n; i += 16)
            {
                var xv = Vector512.Load(x + i);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + i), xv, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + i), xv, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + i), xv, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + i), xv, a3);
            }
            s0 = Vector512.Sum(a0); s1 = Vector512.Sum(a1); s2 = Vector512.Sum(a2); s3 = Vector512.Sum(a3);
        }
        else if (width == SimdWidth.V256)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i + 8 <= n; i += 8)
            {
                var xv = Vector256.Load(x + i);
                a0 = Vector256.FusedMultiplyAdd(Vector256.Load(w0 + i), xv, a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Load(w1 + i), xv, a1);
                a2 = Vector256.FusedMultiplyAdd(Vector256.Load(w2 + i), xv, a2);
                a3 = Vector256.FusedMultiplyAdd(Vector256.Load(w3 + i), xv, a3);
            }
            s0 = Vector256.Sum(a0); s1 = Vector256.Sum(a1); s2 = Vector256.Sum(a2); s3 = Vector256.Sum(a3);
        }
        for (; i < n; i++)
        {
            float xi = x[i];
            s0 = MathF.FusedMultiplyAdd(w0[i], xi, s0);
            s1 = MathF.FusedMultiplyAdd(w1[i], xi, s1);
            s2 = MathF.FusedMultiplyAdd(w2[i], xi, s2);
            s3 = MathF.FusedMultiplyAdd(w3[i], xi, s3);
        }
        sums[0] = s0; sums[1] = s1; sums[2] = s2; sums[3] = s3;
    }
}
