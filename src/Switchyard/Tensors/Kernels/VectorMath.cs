using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// The one vectorized exp of the kernels, the transcendental functions built on it (sigmoid,
/// normal tail), and the row primitives the kernels share (max, sum, dot, exp-sum, scale, axpy,
/// the norm reductions), each at every <see cref="SimdWidth"/>. The formulas avoid
/// cancellation: sigmoid is built from e^−|x| and the normal tail from erfc. Results for one
/// width are deterministic (fixed summation order); different widths sum in different orders.
/// </summary>
/// <remarks>
/// Exp is our own rather than <c>Vector512.Exp</c>: in .NET 10 that returns 1.0000001 for
/// exp(0) and is about 1.3 ulp off at ordinary inputs, which makes a row of equal logits
/// produce probabilities that are not exactly equal. This one is the Cephes expf scheme
/// (2ⁿ·eʳ, |r| ≤ ln2/2, degree-5 polynomial) evaluated with FMA: at most 0.993 ulp from
/// Math.Exp in double over a dense sweep of [−104, 88.75] (subnormal results included; the
/// Cephes ln2 split 0.693359375 the norms copy used gave 0.996), exact at 0; tests bound it
/// at 1 ulp in the normal range. Inputs below −104 (−∞ included, e.g. masked logits or
/// scores) give exactly 0, inputs above ~88.72 give +∞, NaN gives NaN, subnormal results are
/// rounded once (not flushed).
/// </remarks>
internal static unsafe class VectorMath
{
    const float Log2E = 1.44269504088896341f;
    // ln2 split so that n·Ln2Hi is exact for the |n| ≤ 150 used here: r = x − n·ln2 loses nothing.
    const float Ln2Hi = 0.693145751953125f;
    const float Ln2Lo = 1.42860676533018704e-6f;
    // 1.5·2²³: adding it rounds x·log2(e) to an integer that sits in the low mantissa bits.
    const float Shifter = 12582912f;
    const int ShifterBits = 0x4B400000;
    // e^x rounds to 0 in float below ln(2⁻¹⁵⁰) ≈ −103.97; clamping there also keeps −∞ from making r NaN.
    const float ExpMin = -104f;
    // Above ln(FLT_MAX) ≈ 88.72 the result is +∞; clamping at 89 keeps n ≤ 128 so the scale stays representable.
    const float ExpMax = 89f;
    // Cephes expf: e^r ≈ 1 + r + r²·P(r) on |r| ≤ ln2/2.
    const float P0 = 5.0000001201E-1f, P1 = 1.6666665459E-1f, P2 = 4.1665795894E-2f,
        P3 = 8.3334519073E-3f, P4 = 1.3981999507E-3f, P5 = 1.9875691500E-4f;

    /// <summary>e^x with the vector algorithm, lane for lane identical to <see cref="Exp(Vector256{float})"/>. Needs hardware FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x)
    {
        if (x < ExpMin) x = ExpMin; // NaN compares false and stays NaN
        if (x > ExpMax) x = ExpMax;
        float z = MathF.FusedMultiplyAdd(x, Log2E, Shifter);
        float n = z - Shifter;
        int ni = BitConverter.SingleToInt32Bits(z) - ShifterBits;
        float r = MathF.FusedMultiplyAdd(n, -Ln2Hi, x);
        r = MathF.FusedMultiplyAdd(n, -Ln2Lo, r);
        float p = MathF.FusedMultiplyAdd(P5, r, P4);
        p = MathF.FusedMultiplyAdd(p, r, P3);
        p = MathF.FusedMultiplyAdd(p, r, P2);
        p = MathF.FusedMultiplyAdd(p, r, P1);
        p = MathF.FusedMultiplyAdd(p, r, P0);
        p = MathF.FusedMultiplyAdd(p, r * r, r) + 1f;
        // 2ⁿ in two halves: each stays a normal float for n in [−150, 128], and the final
        // product rounds once, so subnormal results are correctly rounded and 2¹²⁸ overflows to ∞.
        int h = ni >> 1;
        return p * BitConverter.Int32BitsToSingle((h + 127) << 23) * BitConverter.Int32BitsToSingle((ni - h + 127) << 23);
    }

    /// <summary>e^x per lane (see the class remarks for accuracy and special values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var min = Vector512.Create(ExpMin);
        var max = Vector512.Create(ExpMax);
        x = Vector512.ConditionalSelect(Vector512.LessThan(x, min), min, x);
        x = Vector512.ConditionalSelect(Vector512.GreaterThan(x, max), max, x);
        var shifter = Vector512.Create(Shifter);
        var z = Vector512.FusedMultiplyAdd(x, Vector512.Create(Log2E), shifter);
        var n = z - shifter;
        var ni = z.AsInt32() - Vector512.Create(ShifterBits);
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P5), r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P0));
        p = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        var h = Vector512.ShiftRightArithmetic(ni, 1);
        var bias = Vector512.Create(127);
        var s1 = Vector512.ShiftLeft(h + bias, 23).AsSingle();
        var s2 = Vector512.ShiftLeft(ni - h + bias, 23).AsSingle();
        return p * s1 * s2;
    }

    /// <summary>e^x per lane (see the class remarks for accuracy and special values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var min = Vector256.Create(ExpMin);
        var max = Vector256.Create(ExpMax);
        x = Vector256.ConditionalSelect(Vector256.LessThan(x, min), min, x);
        x = Vector256.ConditionalSelect(Vector256.GreaterThan(x, max), max, x);
        var shifter = Vector256.Create(Shifter);
        var z = Vector256.FusedMultiplyAdd(x, Vector256.Create(Log2E), shifter);
        var n = z - shifter;
        var ni = z.AsInt32() - Vector256.Create(ShifterBits);
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P5), r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P0));
        p = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        var h = Vector256.ShiftRightArithmetic(ni, 1);
        var bias = Vector256.Create(127);
        var s1 = Vector256.ShiftLeft(h + bias, 23).AsSingle();
        var s2 = Vector256.ShiftLeft(ni - h + bias, 23).AsSingle();
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

    /// <summary>
    /// Largest element (−∞ for an empty row). NaN propagates (IEEE 754-2019 maximum), so a
    /// poisoned score or logit is not hidden behind the row maximum.
    /// </summary>
    public static float Max(ReadOnlySpan<float> x, SimdWidth width)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        float m = float.NegativeInfinity;
        if (width == SimdWidth.V512 && n >= Vector512<float>.Count)
        {
            var acc = Vector512.LoadUnsafe(ref px);
            for (i = Vector512<float>.Count; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                acc = Vector512.Max(acc, Vector512.LoadUnsafe(ref px, (nuint)i));
            m = MaxLanes(Vector256.Max(acc.GetLower(), acc.GetUpper()));
        }
        else if (width != SimdWidth.Scalar && n >= Vector256<float>.Count)
        {
            var acc = Vector256.LoadUnsafe(ref px);
            for (i = Vector256<float>.Count; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                acc = Vector256.Max(acc, Vector256.LoadUnsafe(ref px, (nuint)i));
            m = MaxLanes(acc);
        }
        for (; i < n; i++) m = MathF.Max(m, Unsafe.Add(ref px, i));
        return m;
    }

    static float MaxLanes(Vector256<float> v)
    {
        var q = Vector128.Max(v.GetLower(), v.GetUpper());
        return MathF.Max(MathF.Max(q[0], q[1]), MathF.Max(q[2], q[3]));
    }

    /// <summary>Σ x[i] (the same two-accumulator order as the pointer overload).</summary>
    public static float Sum(ReadOnlySpan<float> x, SimdWidth width)
    {
        fixed (float* p = x) return Sum(p, x.Length, width);
    }

    /// <summary>Σ a[i]·b[i]; the lengths must match (callers check).</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b, SimdWidth width)
    {
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        int n = a.Length, i = 0;
        float s = 0f;
        if (width == SimdWidth.V512)
        {
            // Two accumulators hide the FMA latency on long rows.
            Vector512<float> acc0 = Vector512<float>.Zero, acc1 = Vector512<float>.Zero;
            for (; i <= n - 2 * Vector512<float>.Count; i += 2 * Vector512<float>.Count)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, (nuint)i), Vector512.LoadUnsafe(ref pb, (nuint)i), acc0);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, (nuint)(i + 16)), Vector512.LoadUnsafe(ref pb, (nuint)(i + 16)), acc1);
            }
            if (i <= n - Vector512<float>.Count)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, (nuint)i), Vector512.LoadUnsafe(ref pb, (nuint)i), acc0);
                i += Vector512<float>.Count;
            }
            s = Vector512.Sum(acc0 + acc1);
        }
        else if (width == SimdWidth.V256)
        {
            Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
            for (; i <= n - 2 * Vector256<float>.Count; i += 2 * Vector256<float>.Count)
            {
                acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)i), Vector256.LoadUnsafe(ref pb, (nuint)i), acc0);
                acc1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)(i + 8)), Vector256.LoadUnsafe(ref pb, (nuint)(i + 8)), acc1);
            }
            if (i <= n - Vector256<float>.Count)
            {
                acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)i), Vector256.LoadUnsafe(ref pb, (nuint)i), acc0);
                i += Vector256<float>.Count;
            }
            s = Vector256.Sum(acc0 + acc1);
        }
        if (width == SimdWidth.Scalar)
            for (; i < n; i++) s += Unsafe.Add(ref pa, i) * Unsafe.Add(ref pb, i);
        else
            for (; i < n; i++) s = MathF.FusedMultiplyAdd(Unsafe.Add(ref pa, i), Unsafe.Add(ref pb, i), s);
        return s;
    }

    /// <summary>y[i] = e^(x[i] − shift); returns Σ y[i]. <paramref name="y"/> may be <paramref name="x"/> (same length; callers check).</summary>
    public static float ExpShiftStore(ReadOnlySpan<float> x, float shift, Span<float> y, SimdWidth width) =>
        ExpShift(x, shift, y, store: true, width);

    /// <summary>Σ e^(x[i] − shift), storing nothing.</summary>
    public static float ExpShiftSum(ReadOnlySpan<float> x, float shift, SimdWidth width) =>
        ExpShift(x, shift, default, store: false, width);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float ExpShift(ReadOnlySpan<float> x, float shift, Span<float> y, bool store, SimdWidth width)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (width == SimdWidth.Scalar)
        {
            float sum = 0f;
            for (; i < n; i++)
            {
                float e = MathF.Exp(Unsafe.Add(ref px, i) - shift);
                if (store) Unsafe.Add(ref py, i) = e;
                sum += e;
            }
            return sum;
        }
        float s = 0f;
        if (width == SimdWidth.V512)
        {
            var acc = Vector512<float>.Zero;
            var sh = Vector512.Create(shift);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var e = Exp(Vector512.LoadUnsafe(ref px, (nuint)i) - sh);
                if (store) e.StoreUnsafe(ref py, (nuint)i);
                acc += e;
            }
            s = Vector512.Sum(acc);
        }
        // The V256 step also serves as the V512 path's first tail step.
        var acc8 = Vector256<float>.Zero;
        var sh8 = Vector256.Create(shift);
        for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var e = Exp(Vector256.LoadUnsafe(ref px, (nuint)i) - sh8);
            if (store) e.StoreUnsafe(ref py, (nuint)i);
            acc8 += e;
        }
        s += Vector256.Sum(acc8);
        for (; i < n; i++)
        {
            float e = Exp(Unsafe.Add(ref px, i) - shift);
            if (store) Unsafe.Add(ref py, i) = e;
            s += e;
        }
        return s;
    }

    /// <summary>y[i] *= s.</summary>
    public static void Scale(Span<float> y, float s, SimdWidth width) => Scale(y, s, y, width);

    /// <summary>y[i] = s·x[i]; <paramref name="y"/> may be <paramref name="x"/> (same length; callers check).</summary>
    public static void Scale(ReadOnlySpan<float> x, float s, Span<float> y, SimdWidth width)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (width == SimdWidth.V512)
        {
            var v = Vector512.Create(s);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                (Vector512.LoadUnsafe(ref px, (nuint)i) * v).StoreUnsafe(ref py, (nuint)i);
        }
        if (width != SimdWidth.Scalar)
        {
            var v = Vector256.Create(s);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                (Vector256.LoadUnsafe(ref px, (nuint)i) * v).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref py, i) = Unsafe.Add(ref px, i) * s;
    }

    /// <summary>y[i] += a·x[i] (plain add when a is exactly 1, so unweighted scatters add exactly).</summary>
    public static void AddScaled(ReadOnlySpan<float> x, float a, Span<float> y, SimdWidth width)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (a == 1f)
        {
            if (width == SimdWidth.V512)
                for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                    (Vector512.LoadUnsafe(ref py, (nuint)i) + Vector512.LoadUnsafe(ref px, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
            if (width != SimdWidth.Scalar)
                for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                    (Vector256.LoadUnsafe(ref py, (nuint)i) + Vector256.LoadUnsafe(ref px, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
            for (; i < n; i++) Unsafe.Add(ref py, i) += Unsafe.Add(ref px, i);
            return;
        }
        if (width == SimdWidth.V512)
        {
            var va = Vector512.Create(a);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref px, (nuint)i), va, Vector512.LoadUnsafe(ref py, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        }
        if (width != SimdWidth.Scalar)
        {
            var va = Vector256.Create(a);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref px, (nuint)i), va, Vector256.LoadUnsafe(ref py, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
            for (; i < n; i++) Unsafe.Add(ref py, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref px, i), a, Unsafe.Add(ref py, i));
            return;
        }
        for (; i < n; i++) Unsafe.Add(ref py, i) += a * Unsafe.Add(ref px, i);
    }
}
