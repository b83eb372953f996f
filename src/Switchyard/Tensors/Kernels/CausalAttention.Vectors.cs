using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

// Small vector primitives over headDim (dot, axpy, scale) and over a tile of scores (max,
// exp-and-sum). V512 falls through to one V256 step and then scalar, so odd head widths
// (8, 24, 40, ...) use the widest vectors that fit.
public static partial class CausalAttention
{
    // The row primitives are the shared ones (VectorMath); these wrap attention's pointers.
    static unsafe float Dot(float* a, float* b, int n, SimdWidth w) =>
        VectorMath.Dot(new ReadOnlySpan<float>(a, n), new ReadOnlySpan<float>(b, n), w);

    /// <summary>Rounds a key count up to the tile padding (16 floats: one Vector512, two Vector256).</summary>
    static int PadKeys(int n) => (n + 15) & ~15;

    /// <summary>
    /// dst[c·ld + t] = alpha·src[t·stride + c] for t &lt; rows, c &lt; d; columns rows..ld are zeroed.
    /// A transposed tile lets scores be vectorized over keys: no horizontal sum per score.
    /// </summary>
    static unsafe void TransposeTile(float* src, long stride, int rows, int d, float alpha, float* dst, int ld)
    {
        for (int t = 0; t < rows; t++)
        {
            float* row = src + t * stride;
            for (int c = 0; c < d; c++) dst[c * ld + t] = alpha * row[c];
        }
        if (rows < ld)
            for (int c = 0; c < d; c++) new Span<float>(dst + c * ld + rows, ld - rows).Clear();
    }

    /// <summary>
    /// y[j] = Σ_c x[c]·mt[c·ld + j] for j &lt; count (count a multiple of 16, ≤ ld): one row times a
    /// transposed tile, vectorized over the tile's columns.
    /// </summary>
    static unsafe void RowTimesTile(float* x, float* mt, int d, int ld, int count, float* y, SimdWidth w)
    {
        int j = 0;
        if (w == SimdWidth.V512)
        {
            // Two column vectors × c mod 4: eight independent FMA chains cover the FMA latency
            // (4 cycles × 2 ports); fewer chains leave the loop latency-bound.
            for (; j + 32 <= count; j += 32)
            {
                Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default;
                Vector512<float> e0 = default, e1 = default, f0 = default, f1 = default;
                int c = 0;
                for (; c + 3 < d; c += 4)
                {
                    float* r = mt + c * ld + j;
                    var x0 = Vector512.Create(x[c]);
                    var x1 = Vector512.Create(x[c + 1]);
                    var x2 = Vector512.Create(x[c + 2]);
                    var x3 = Vector512.Create(x[c + 3]);
                    a0 = Vector512.FusedMultiplyAdd(x0, Vector512.Load(r), a0);
                    a1 = Vector512.FusedMultiplyAdd(x0, Vector512.Load(r + 16), a1);
                    b0 = Vector512.FusedMultiplyAdd(x1, Vector512.Load(r + ld), b0);
                    b1 = Vector512.FusedMultiplyAdd(x1, Vector512.Load(r + ld + 16), b1);
                    e0 = Vector512.FusedMultiplyAdd(x2, Vector512.Load(r + 2 * ld), e0);
                    e1 = Vector512.FusedMultiplyAdd(x2, Vector512.Load(r + 2 * ld + 16), e1);
                    f0 = Vector512.FusedMultiplyAdd(x3, Vector512.Load(r + 3 * ld), f0);
                    f1 = Vector512.FusedMultiplyAdd(x3, Vector512.Load(r + 3 * ld + 16), f1);
                }
                for (; c < d; c++)
                {
                    float* r = mt + c * ld + j;
                    var x0 = Vector512.Create(x[c]);
                    a0 = Vector512.FusedMultiplyAdd(x0, Vector512.Load(r), a0);
                    a1 = Vector512.FusedMultiplyAdd(x0, Vector512.Load(r + 16), a1);
                }
                ((a0 + b0) + (e0 + f0)).Store(y + j);
                ((a1 + b1) + (e1 + f1)).Store(y + j + 16);
            }
            for (; j < count; j += 16)
            {
                Vector512<float> a0 = default, b0 = default;
                int c = 0;
                for (; c + 1 < d; c += 2)
                {
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Create(x[c]), Vector512.Load(mt + c * ld + j), a0);
                    b0 = Vector512.FusedMultiplyAdd(Vector512.Create(x[c + 1]), Vector512.Load(mt + (c + 1) * ld + j), b0);
                }
                if (c < d) a0 = Vector512.FusedMultiplyAdd(Vector512.Create(x[c]), Vector512.Load(mt + c * ld + j), a0);
                (a0 + b0).Store(y + j);
            }
        }
        else if (w == SimdWidth.V256)
        {
            for (; j < count; j += 16)
            {
                Vector256<float> a0 = default, a1 = default, b0 = default, b1 = default;
                int c = 0;
                for (; c + 1 < d; c += 2)
                {
                    float* r = mt + c * ld + j;
                    var x0 = Vector256.Create(x[c]);
                    var x1 = Vector256.Create(x[c + 1]);
                    a0 = Vector256.FusedMultiplyAdd(x0, Vector256.Load(r), a0);
                    a1 = Vector256.FusedMultiplyAdd(x0, Vector256.Load(r + 8), a1);
                    b0 = Vector256.FusedMultiplyAdd(x1, Vector256.Load(r + ld), b0);
                    b1 = Vector256.FusedMultiplyAdd(x1, Vector256.Load(r + ld + 8), b1);
                }
                if (c < d)
                {
                    float* r = mt + c * ld + j;
                    var x0 = Vector256.Create(x[c]);
                    a0 = Vector256.FusedMultiplyAdd(x0, Vector256.Load(r), a0);
                    a1 = Vector256.FusedMultiplyAdd(x0, Vector256.Load(r + 8), a1);
                }
                (a0 + b0).Store(y + j);
                (a1 + b1).Store(y + j + 8);
            }
        }
        else
        {
            new Span<float>(y, count).Clear();
            for (int c = 0; c < d; c++)
            {
                float xc = x[c];
                float* r = mt + c * ld;
                for (int t = 0; t < count; t++) y[t] = MathF.FusedMultiplyAdd(xc, r[t], y[t]);
            }
        }
    }

    /// <summary>y = alpha·x (x and y may be the same row).</summary>
    static unsafe void Scale(float alpha, float* x, float* y, int n, SimdWidth w) =>
        VectorMath.Scale(new ReadOnlySpan<float>(x, n), alpha, new Span<float>(y, n), w);

    /// <summary>y += x.</summary>
    static unsafe void Add(float* x, float* y, int n, SimdWidth w) =>
        VectorMath.AddScaled(new ReadOnlySpan<float>(x, n), 1f, new Span<float>(y, n), w);

    /// <summary>max of x[0..n), n ≥ 1. NaN propagates so a poisoned score is not hidden.</summary>
    static unsafe float Max(float* x, int n, SimdWidth w) => VectorMath.Max(new ReadOnlySpan<float>(x, n), w);

    /// <summary>x[j] = exp(x[j] − shift) for j &lt; n; returns Σ x[j] (the new values).</summary>
    static unsafe float ExpShiftSum(float* x, int n, float shift, SimdWidth w) =>
        VectorMath.ExpShiftStore(new ReadOnlySpan<float>(x, n), shift, new Span<float>(x, n), w);

    /// <summary>The shared exp's scalar twin, for rescale factors.</summary>
    static float Exp(float x) => VectorMath.Exp(x);
}
