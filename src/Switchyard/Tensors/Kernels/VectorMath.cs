using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// Vectorized transcendental functions for the activation kernels, each a few float ulps from
/// the true value, with a scalar twin that runs the same formula (MathF.Exp for the exponential).
/// The formulas avoid cancellation: sigmoid is built from e^−|x| and the normal tail from erfc.
/// Also the row reductions of the norm kernels (two accumulators each, for instruction-level
/// parallelism; the summation order is fixed for a given width, so results are reproducible).
/// </summary>
internal static unsafe class VectorMath
{
    const float Log2E = 1.44269504088896341f;
    // ln 2 split so that k·Ln2Hi is exact for |k| ≤ 2^9: the reduction x − k·ln2 loses no bits.
    const float Ln2Hi = 0.693359375f;
    const float Ln2Lo = -2.12194440e-4f;
    // 1.5·2^23: adding it rounds to an integer held in the low mantissa bits (round to nearest even).
    const float RoundMagic = 12582912f;
    // Clamp wide enough that e^x still overflows to +∞ and underflows to 0 through the two-step scaling.
    const float ExpMin = -104f, ExpMax = 89f;
    // Cephes expf minimax polynomial for e^r on [−ln2/2, ln2/2] (relative error ≈ 1 ulp).
    const float P0 = 1.9875691500E-4f, P1 = 1.3981999507E-3f, P2 = 8.3334519073E-3f,
        P3 = 4.1665795894E-2f, P4 = 1.6666665459E-1f, P5 = 5.0000001201E-1f;

    /// <summary>e^x per lane; NaN stays NaN, overflow gives +∞, underflow 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        // Max/Min propagate NaN (IEEE 754-2019 maximum/minimum), so NaN flows through the polynomial.
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(ExpMin)), Vector512.Create(ExpMax));
        var magic = Vector512.Create(RoundMagic);
        var kf = Vector512.FusedMultiplyAdd(x, Vector512.Create(Log2E), magic);
        var n = kf.AsInt32() - magic.AsInt32();
        kf -= magic;
        var r = Vector512.FusedMultiplyAdd(kf, Vector512.Create(-Ln2Hi), x);
        r = Vector512.FusedMultiplyAdd(kf, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.Create(P0);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        p = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        // 2^n in two factors: n spans [−150, 128], beyond one exponent field, and the product
        // then rounds once into the subnormal range or overflows to +∞ as e^x should.
        var n1 = Vector512.ShiftRightArithmetic(n, 1);
        var n2 = n - n1;
        var bias = Vector512.Create(127);
        var s1 = Vector512.ShiftLeft(n1 + bias, 23).AsSingle();
        var s2 = Vector512.ShiftLeft(n2 + bias, 23).AsSingle();
        return p * s1 * s2;
    }

    /// <inheritdoc cref="Exp(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(ExpMin)), Vector256.Create(ExpMax));
        var magic = Vector256.Create(RoundMagic);
        var kf = Vector256.FusedMultiplyAdd(x, Vector256.Create(Log2E), magic);
        var n = kf.AsInt32() - magic.AsInt32();
        kf -= magic;
        var r = Vector256.FusedMultiplyAdd(kf, Vector256.Create(-Ln2Hi), x);
        r = Vector256.FusedMultiplyAdd(kf, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.Create(P0);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        p = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        var n1 = Vector256.ShiftRightArithmetic(n, 1);
        var n2 = n - n1;
        var bias = Vector256.Create(127);
        var s1 = Vector256.ShiftLeft(n1 + bias, 23).AsSingle();
        var s2 = Vector256.ShiftLeft(n2 + bias, 23).AsSingle();
        return p * s1 * s2;
    }

    // Numerical Recipes' erfcc (Chebyshev fit): erfc(a) = t·exp(−a² + P(t)), t = 1/(1 + a/2),
    // relative error < 1.2e-7 for every a ≥ 0, so the far tail keeps full relative precision.
    const float E0 = -1.26551223f, E1 = 1.00002368f, E2 = 0.37409196f, E3 = 0.09678418f, E4 = -0.18628806f,
        E5 = 0.27886807f, E6 = -1.13520398f, E7 = 1.48851587f, E8 = -0.82215223f, E9 = 0.17087277f;
    // Φ(−14) ≈ 8e-45 is at the bottom of the float range: larger |x| change nothing, and x²
    // stays finite so the error terms below never meet ∞ − ∞.
    const float ErfcMaxX = 14.5f;
    const float InvSqrt2 = 0.707106781186547524f;
    const float InvSqrt2Pi = 0.398942280401432678f;

    /// <summary>
    /// The standard normal tail q = Φ(−|x|) = erfc(|x|/√2)/2 and the density φ(x), both with small
    /// relative error even far out in the tail (Φ(x) = 1 − q for x ≥ 0, q for x &lt; 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> NormalTail(Vector512<float> x, out Vector512<float> density)
    {
        var xc = Vector512.Min(Vector512.Abs(x), Vector512.Create(ErfcMaxX));
        var a = xc * Vector512.Create(InvSqrt2);
        var xx = xc * xc;
        var aa = xx * Vector512.Create(0.5f);
        var aaErr = Vector512.FusedMultiplyAdd(xc, xc, -xx) * Vector512.Create(0.5f);
        // x²/2 from x itself (not from the rounded a = x/√2), and its rounding error added back to
        // first order: the exponent reaches 100, where one ulp of it would cost 100 ulps of the result.
        var gauss = Vector512.FusedMultiplyAdd(Exp(-aa), -aaErr, Exp(-aa)); // e^(−x²/2)
        density = gauss * Vector512.Create(InvSqrt2Pi);
        var t = Vector512<float>.One / Vector512.FusedMultiplyAdd(a, Vector512.Create(0.5f), Vector512<float>.One);
        var p = Vector512.Create(E9);
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(E8));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(E7));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(E6));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(E5));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(E4));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(E3));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(E2));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(E1));
        p = Vector512.FusedMultiplyAdd(p, t, Vector512.Create(E0));
        return t * gauss * Exp(p) * Vector512.Create(0.5f);
    }

    /// <inheritdoc cref="NormalTail(Vector512{float}, out Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> NormalTail(Vector256<float> x, out Vector256<float> density)
    {
        var xc = Vector256.Min(Vector256.Abs(x), Vector256.Create(ErfcMaxX));
        var a = xc * Vector256.Create(InvSqrt2);
        var xx = xc * xc;
        var aa = xx * Vector256.Create(0.5f);
        var aaErr = Vector256.FusedMultiplyAdd(xc, xc, -xx) * Vector256.Create(0.5f);
        var gauss = Vector256.FusedMultiplyAdd(Exp(-aa), -aaErr, Exp(-aa));
        density = gauss * Vector256.Create(InvSqrt2Pi);
        var t = Vector256<float>.One / Vector256.FusedMultiplyAdd(a, Vector256.Create(0.5f), Vector256<float>.One);
        var p = Vector256.Create(E9);
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(E8));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(E7));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(E6));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(E5));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(E4));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(E3));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(E2));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(E1));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(E0));
        return t * gauss * Exp(p) * Vector256.Create(0.5f);
    }

    /// <inheritdoc cref="NormalTail(Vector512{float}, out Vector512{float})"/>
    public static float NormalTail(float x, out float density)
    {
        float xc = MathF.Min(MathF.Abs(x), ErfcMaxX);
        float a = xc * InvSqrt2;
        float xx = xc * xc;
        float aa = xx * 0.5f;
        float aaErr = MathF.FusedMultiplyAdd(xc, xc, -xx) * 0.5f;
        float e = MathF.Exp(-aa);
        float gauss = MathF.FusedMultiplyAdd(e, -aaErr, e);
        density = gauss * InvSqrt2Pi;
        float t = 1f / MathF.FusedMultiplyAdd(a, 0.5f, 1f);
        float p = E9;
        p = MathF.FusedMultiplyAdd(p, t, E8);
        p = MathF.FusedMultiplyAdd(p, t, E7);
        p = MathF.FusedMultiplyAdd(p, t, E6);
        p = MathF.FusedMultiplyAdd(p, t, E5);
        p = MathF.FusedMultiplyAdd(p, t, E4);
        p = MathF.FusedMultiplyAdd(p, t, E3);
        p = MathF.FusedMultiplyAdd(p, t, E2);
        p = MathF.FusedMultiplyAdd(p, t, E1);
        p = MathF.FusedMultiplyAdd(p, t, E0);
        return t * gauss * MathF.Exp(p) * 0.5f;
    }

    /// <summary>
    /// σ(x) and σ(x)·(1 − σ(x)) from e = e^−|x| (never overflows, no cancellation in 1 − σ):
    /// r = 1/(1 + e); σ = r for x ≥ 0, e·r otherwise; σ(1 − σ) = e·r² either way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x, out Vector512<float> slope)
    {
        var e = Exp(-Vector512.Abs(x));
        var r = Vector512<float>.One / (Vector512<float>.One + e);
        var er = e * r;
        slope = er * r;
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), r, er);
    }

    /// <inheritdoc cref="Sigmoid(Vector512{float}, out Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x, out Vector256<float> slope)
    {
        var e = Exp(-Vector256.Abs(x));
        var r = Vector256<float>.One / (Vector256<float>.One + e);
        var er = e * r;
        slope = er * r;
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), r, er);
    }

    /// <inheritdoc cref="Sigmoid(Vector512{float}, out Vector512{float})"/>
    public static float Sigmoid(float x, out float slope)
    {
        float e = MathF.Exp(-MathF.Abs(x));
        float r = 1f / (1f + e);
        float er = e * r;
        slope = er * r;
        // NaN fails the comparison and takes e·r, which is NaN too.
        return x >= 0f ? r : er;
    }

    /// <summary>Σ (x[i] − shift)² over <paramref name="n"/> floats; shift 0 gives the sum of squares.</summary>
    public static float SumSquares(float* x, int n, float shift, SimdWidth width)
    {
        int i = 0;
        float sum = 0f;
        if (width == SimdWidth.V512 && n >= Vector512<float>.Count)
        {
            const int W = 16;
            Vector512<float> a0 = default, a1 = default, m = Vector512.Create(shift);
            for (; i <= n - 2 * W; i += 2 * W)
            {
                var d0 = Vector512.Load(x + i) - m;
                var d1 = Vector512.Load(x + i + W) - m;
                a0 = Vector512.FusedMultiplyAdd(d0, d0, a0);
                a1 = Vector512.FusedMultiplyAdd(d1, d1, a1);
            }
            for (; i <= n - W; i += W)
            {
                var d = Vector512.Load(x + i) - m;
                a0 = Vector512.FusedMultiplyAdd(d, d, a0);
            }
            sum = Vector512.Sum(a0 + a1);
        }
        else if (width >= SimdWidth.V256 && n >= Vector256<float>.Count)
        {
            const int W = 8;
            Vector256<float> a0 = default, a1 = default, m = Vector256.Create(shift);
            for (; i <= n - 2 * W; i += 2 * W)
            {
                var d0 = Vector256.Load(x + i) - m;
                var d1 = Vector256.Load(x + i + W) - m;
                a0 = Vector256.FusedMultiplyAdd(d0, d0, a0);
                a1 = Vector256.FusedMultiplyAdd(d1, d1, a1);
            }
            for (; i <= n - W; i += W)
            {
                var d = Vector256.Load(x + i) - m;
                a0 = Vector256.FusedMultiplyAdd(d, d, a0);
            }
            sum = Vector256.Sum(a0 + a1);
        }
        for (; i < n; i++)
        {
            float d = x[i] - shift;
            sum = MathF.FusedMultiplyAdd(d, d, sum);
        }
        return sum;
    }

    /// <summary>Σ x[i] over <paramref name="n"/> floats.</summary>
    public static float Sum(float* x, int n, SimdWidth width)
    {
        int i = 0;
        float sum = 0f;
        if (width == SimdWidth.V512 && n >= Vector512<float>.Count)
        {
            const int W = 16;
            Vector512<float> a0 = default, a1 = default;
            for (; i <= n - 2 * W; i += 2 * W)
            {
                a0 += Vector512.Load(x + i);
                a1 += Vector512.Load(x + i + W);
            }
            for (; i <= n - W; i += W) a0 += Vector512.Load(x + i);
            sum = Vector512.Sum(a0 + a1);
        }
        else if (width >= SimdWidth.V256 && n >= Vector256<float>.Count)
        {
            const int W = 8;
            Vector256<float> a0 = default, a1 = default;
            for (; i <= n - 2 * W; i += 2 * W)
            {
                a0 += Vector256.Load(x + i);
                a1 += Vector256.Load(x + i + W);
            }
            for (; i <= n - W; i += W) a0 += Vector256.Load(x + i);
            sum = Vector256.Sum(a0 + a1);
        }
        for (; i < n; i++) sum += x[i];
        return sum;
    }

    /// <summary>
    /// Σ a[i]·b[i] and Σ a[i]·b[i]·(c[i] − shift) over <paramref name="n"/> floats: the two
    /// reductions of a norm backward row (a = dy, b = weight, c = x).
    /// </summary>
    public static float Dot3(float* a, float* b, float* c, float shift, int n, SimdWidth width, out float plainSum)
    {
        int i = 0;
        float sum = 0f, plain = 0f;
        if (width == SimdWidth.V512 && n >= Vector512<float>.Count)
        {
            const int W = 16;
            Vector512<float> s0 = default, s1 = default, p0 = default, p1 = default, m = Vector512.Create(shift);
            for (; i <= n - 2 * W; i += 2 * W)
            {
                var g0 = Vector512.Load(a + i) * Vector512.Load(b + i);
                var g1 = Vector512.Load(a + i + W) * Vector512.Load(b + i + W);
                p0 += g0;
                p1 += g1;
                s0 = Vector512.FusedMultiplyAdd(g0, Vector512.Load(c + i) - m, s0);
                s1 = Vector512.FusedMultiplyAdd(g1, Vector512.Load(c + i + W) - m, s1);
            }
            for (; i <= n - W; i += W)
            {
                var g = Vector512.Load(a + i) * Vector512.Load(b + i);
                p0 += g;
                s0 = Vector512.FusedMultiplyAdd(g, Vector512.Load(c + i) - m, s0);
            }
            sum = Vector512.Sum(s0 + s1);
            plain = Vector512.Sum(p0 + p1);
        }
        else if (width >= SimdWidth.V256 && n >= Vector256<float>.Count)
        {
            const int W = 8;
            Vector256<float> s0 = default, s1 = default, p0 = default, p1 = default, m = Vector256.Create(shift);
            for (; i <= n - 2 * W; i += 2 * W)
            {
                var g0 = Vector256.Load(a + i) * Vector256.Load(b + i);
                var g1 = Vector256.Load(a + i + W) * Vector256.Load(b + i + W);
                p0 += g0;
                p1 += g1;
                s0 = Vector256.FusedMultiplyAdd(g0, Vector256.Load(c + i) - m, s0);
                s1 = Vector256.FusedMultiplyAdd(g1, Vector256.Load(c + i + W) - m, s1);
            }
            for (; i <= n - W; i += W)
            {
                var g = Vector256.Load(a + i) * Vector256.Load(b + i);
                p0 += g;
                s0 = Vector256.FusedMultiplyAdd(g, Vector256.Load(c + i) - m, s0);
            }
            sum = Vector256.Sum(s0 + s1);
            plain = Vector256.Sum(p0 + p1);
        }
        for (; i < n; i++)
        {
            float g = a[i] * b[i];
            plain += g;
            sum = MathF.FusedMultiplyAdd(g, c[i] - shift, sum);
        }
        plainSum = plain;
        return sum;
    }
}
