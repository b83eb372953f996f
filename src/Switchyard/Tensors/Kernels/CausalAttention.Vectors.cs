using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

// Small vector primitives over headDim (dot, axpy, scale) and over a tile of scores (max,
// exp-and-sum). V512 falls through to one V256 step and then scalar, so odd head widths
// (8, 24, 40, ...) use the widest vectors that fit.
public static partial class CausalAttention
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe float Dot(float* a, float* b, int n, SimdWidth w)
    {
        int i = 0;
        float sum = 0f;
        if (w == SimdWidth.V512 && n >= 16)
        {
            var acc = Vector512.Multiply(Vector512.Load(a), Vector512.Load(b));
            for (i = 16; i <= n - 16; i += 16)
                acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc);
            var half = acc.GetLower() + acc.GetUpper();
            if (i <= n - 8)
            {
                half = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), half);
                i += 8;
            }
            sum = Vector256.Sum(half);
        }
        else if (w != SimdWidth.Scalar && n >= 8)
        {
            var acc = Vector256.Multiply(Vector256.Load(a), Vector256.Load(b));
            for (i = 8; i <= n - 8; i += 8)
                acc = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc);
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++) sum = MathF.FusedMultiplyAdd(a[i], b[i], sum);
        return sum;
    }

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

    /// <summary>
    /// acc[0..d) += Σ_{t&lt;n} coeff[t·coeffStride]·m[t·mStride + 0..d): a weighted sum of rows with the
    /// accumulator held in registers across all n rows, 64 (V512) or 32 (V256) columns at a time.
    /// </summary>
    static unsafe void AccumulateRows(float* coeff, long coeffStride, float* m, long mStride, int n, float* acc, int d, SimdWidth w)
    {
        int c = 0;
        if (w == SimdWidth.V512)
        {
            for (; c + 64 <= d; c += 64)
            {
                // Even and odd rows in separate registers: eight FMA chains instead of four.
                float* a = acc + c;
                var a0 = Vector512.Load(a); var a1 = Vector512.Load(a + 16);
                var a2 = Vector512.Load(a + 32); var a3 = Vector512.Load(a + 48);
                Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
                int t = 0;
                for (; t + 1 < n; t += 2)
                {
                    var s0 = Vector512.Create(coeff[t * coeffStride]);
                    var s1 = Vector512.Create(coeff[(t + 1) * coeffStride]);
                    float* r = m + t * mStride + c;
                    float* r1 = r + mStride;
                    a0 = Vector512.FusedMultiplyAdd(s0, Vector512.Load(r), a0);
                    a1 = Vector512.FusedMultiplyAdd(s0, Vector512.Load(r + 16), a1);
                    a2 = Vector512.FusedMultiplyAdd(s0, Vector512.Load(r + 32), a2);
                    a3 = Vector512.FusedMultiplyAdd(s0, Vector512.Load(r + 48), a3);
                    b0 = Vector512.FusedMultiplyAdd(s1, Vector512.Load(r1), b0);
                    b1 = Vector512.FusedMultiplyAdd(s1, Vector512.Load(r1 + 16), b1);
                    b2 = Vector512.FusedMultiplyAdd(s1, Vector512.Load(r1 + 32), b2);
                    b3 = Vector512.FusedMultiplyAdd(s1, Vector512.Load(r1 + 48), b3);
                }
                if (t < n)
                {
                    var s0 = Vector512.Create(coeff[t * coeffStride]);
                    float* r = m + t * mStride + c;
                    a0 = Vector512.FusedMultiplyAdd(s0, Vector512.Load(r), a0);
                    a1 = Vector512.FusedMultiplyAdd(s0, Vector512.Load(r + 16), a1);
                    a2 = Vector512.FusedMultiplyAdd(s0, Vector512.Load(r + 32), a2);
                    a3 = Vector512.FusedMultiplyAdd(s0, Vector512.Load(r + 48), a3);
                }
                (a0 + b0).Store(a); (a1 + b1).Store(a + 16); (a2 + b2).Store(a + 32); (a3 + b3).Store(a + 48);
            }
            for (; c + 16 <= d; c += 16)
            {
                var a0 = Vector512.Load(acc + c);
                for (int t = 0; t < n; t++)
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Create(coeff[t * coeffStride]), Vector512.Load(m + t * mStride + c), a0);
                a0.Store(acc + c);
            }
        }
        if (w != SimdWidth.Scalar)
        {
            for (; c + 32 <= d; c += 32)
            {
                float* a = acc + c;
                var a0 = Vector256.Load(a); var a1 = Vector256.Load(a + 8);
                var a2 = Vector256.Load(a + 16); var a3 = Vector256.Load(a + 24);
                for (int t = 0; t < n; t++)
                {
                    var s = Vector256.Create(coeff[t * coeffStride]);
                    float* r = m + t * mStride + c;
                    a0 = Vector256.FusedMultiplyAdd(s, Vector256.Load(r), a0);
                    a1 = Vector256.FusedMultiplyAdd(s, Vector256.Load(r + 8), a1);
                    a2 = Vector256.FusedMultiplyAdd(s, Vector256.Load(r + 16), a2);
                    a3 = Vector256.FusedMultiplyAdd(s, Vector256.Load(r + 24), a3);
                }
                a0.Store(a); a1.Store(a + 8); a2.Store(a + 16); a3.Store(a + 24);
            }
            for (; c + 8 <= d; c += 8)
            {
                var a0 = Vector256.Load(acc + c);
                for (int t = 0; t < n; t++)
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Create(coeff[t * coeffStride]), Vector256.Load(m + t * mStride + c), a0);
                a0.Store(acc + c);
            }
        }
        for (; c < d; c++)
        {
            float a0 = acc[c];
            for (int t = 0; t < n; t++) a0 = MathF.FusedMultiplyAdd(coeff[t * coeffStride], m[t * mStride + c], a0);
            acc[c] = a0;
        }
    }

    /// <summary>y = alpha·x (x and y may be the same row).</summary>
    static unsafe void Scale(float alpha, float* x, float* y, int n, SimdWidth w)
    {
        int i = 0;
        if (w == SimdWidth.V512)
        {
            var a = Vector512.Create(alpha);
            for (; i <= n - 16; i += 16) (a * Vector512.Load(x + i)).Store(y + i);
        }
        if (w != SimdWidth.Scalar)
        {
            var a = Vector256.Create(alpha);
            for (; i <= n - 8; i += 8) (a * Vector256.Load(x + i)).Store(y + i);
        }
        for (; i < n; i++) y[i] = alpha * x[i];
    }

    /// <summary>y += x.</summary>
    static unsafe void Add(float* x, float* y, int n, SimdWidth w)
    {
        int i = 0;
        if (w == SimdWidth.V512)
            for (; i <= n - 16; i += 16) (Vector512.Load(x + i) + Vector512.Load(y + i)).Store(y + i);
        if (w != SimdWidth.Scalar)
            for (; i <= n - 8; i += 8) (Vector256.Load(x + i) + Vector256.Load(y + i)).Store(y + i);
        for (; i < n; i++) y[i] += x[i];
    }

    /// <summary>max of x[0..n), n ≥ 1. NaN propagates so a poisoned score is not hidden.</summary>
    static unsafe float Max(float* x, int n, SimdWidth w)
    {
        int i = 0;
        float max = float.NegativeInfinity;
        if (w == SimdWidth.V512 && n >= 16)
        {
            var acc = Vector512.Load(x);
            for (i = 16; i <= n - 16; i += 16) acc = Vector512.Max(acc, Vector512.Load(x + i));
            var half = Vector256.Max(acc.GetLower(), acc.GetUpper());
            max = HorizontalMax(half);
        }
        else if (w != SimdWidth.Scalar && n >= 8)
        {
            var acc = Vector256.Load(x);
            for (i = 8; i <= n - 8; i += 8) acc = Vector256.Max(acc, Vector256.Load(x + i));
            max = HorizontalMax(acc);
        }
        for (; i < n; i++) max = MathF.Max(max, x[i]);
        return max;
    }

    static float HorizontalMax(Vector256<float> v)
    {
        var m = Vector128.Max(v.GetLower(), v.GetUpper());
        float r = MathF.Max(m.GetElement(0), m.GetElement(1));
        return MathF.Max(r, MathF.Max(m.GetElement(2), m.GetElement(3)));
    }

    /// <summary>x[j] = exp(x[j] − shift) for j &lt; n; returns Σ x[j] (the new values).</summary>
    static unsafe float ExpShiftSum(float* x, int n, float shift, SimdWidth w)
    {
        int i = 0;
        float sum = 0f;
        if (w == SimdWidth.V512 && n >= 16)
        {
            var s = Vector512.Create(shift);
            var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var e = Exp(Vector512.Load(x + i) - s);
                e.Store(x + i);
                acc += e;
            }
            sum = Vector512.Sum(acc);
        }
        if (w != SimdWidth.Scalar && i <= n - 8)
        {
            var s = Vector256.Create(shift);
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var e = Exp(Vector256.Load(x + i) - s);
                e.Store(x + i);
                acc += e;
            }
            sum += Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            float e = Exp(x[i] - shift);
            x[i] = e;
            sum += e;
        }
        return sum;
    }

    // exp by range reduction (Cephes expf): x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6
    // polynomial (≈1 ulp), 2ⁿ built in the exponent bits. Private to attention for now (Softmax
    // has its own; the lead dedupes). Below ExpLow the result is exactly 0 (masked or negligible
    // scores); above ExpHigh it saturates at e^88 — attention only exponentiates s − max ≤ 0.
    const float ExpLow = -87f, ExpHigh = 88f;
    const float Log2E = 1.44269504088896341f;
    const float Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    const float RoundMagic = 12582912f; // 1.5·2²³: adding it rounds to an integer in the low mantissa bits
    const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
        P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Exp(Vector512<float> x)
    {
        var tooSmall = Vector512.LessThan(x, Vector512.Create(ExpLow));
        var c = Vector512.Min(x, Vector512.Create(ExpHigh));
        var t = Vector512.FusedMultiplyAdd(c, Vector512.Create(Log2E), Vector512.Create(RoundMagic));
        var n = t - Vector512.Create(RoundMagic);
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), c);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P0), r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        var y = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        // t's low mantissa bits hold n (two's complement); shifting past the exponent drops the magic.
        var pow2 = Vector512.ShiftLeft(t.AsInt32() + Vector512.Create(127), 23).AsSingle();
        return Vector512.ConditionalSelect(tooSmall, Vector512<float>.Zero, y * pow2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Exp(Vector256<float> x)
    {
        var tooSmall = Vector256.LessThan(x, Vector256.Create(ExpLow));
        var c = Vector256.Min(x, Vector256.Create(ExpHigh));
        var t = Vector256.FusedMultiplyAdd(c, Vector256.Create(Log2E), Vector256.Create(RoundMagic));
        var n = t - Vector256.Create(RoundMagic);
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), c);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        var y = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        var pow2 = Vector256.ShiftLeft(t.AsInt32() + Vector256.Create(127), 23).AsSingle();
        return Vector256.ConditionalSelect(tooSmall, Vector256<float>.Zero, y * pow2);
    }

    /// <summary>Scalar twin of the vector exp (same polynomial), used for tails and rescale factors.</summary>
    internal static float Exp(float x)
    {
        if (x < ExpLow) return 0f;
        if (float.IsNaN(x)) return x;
        float c = MathF.Min(x, ExpHigh);
        float t = MathF.FusedMultiplyAdd(c, Log2E, RoundMagic);
        float n = t - RoundMagic;
        float r = MathF.FusedMultiplyAdd(n, -Ln2Hi, c);
        r = MathF.FusedMultiplyAdd(n, -Ln2Lo, r);
        float p = MathF.FusedMultiplyAdd(P0, r, P1);
        p = MathF.FusedMultiplyAdd(p, r, P2);
        p = MathF.FusedMultiplyAdd(p, r, P3);
        p = MathF.FusedMultiplyAdd(p, r, P4);
        p = MathF.FusedMultiplyAdd(p, r, P5);
        float y = MathF.FusedMultiplyAdd(p, r * r, r) + 1f;
        float pow2 = BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(t) + 127) << 23);
        return y * pow2;
    }
}
