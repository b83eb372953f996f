using System.Numerics;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// GELU, y = x·Φ(x) with Φ the standard normal CDF: the exact erf form of PyTorch
/// <c>F.gelu</c> (HF <c>"gelu"</c>), or with <c>approximateTanh</c> the tanh form
/// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) of <c>F.gelu(approximate="tanh")</c>
/// (HF <c>"gelu_pytorch_tanh"</c>, <c>"gelu_new"</c>).
/// </summary>
public static class Gelu
{
    // 0.5·(1 + tanh(u)) = σ(2u): the kernels use the sigmoid form, exact in real arithmetic
    // and free of the cancellation 1 + tanh(u) suffers for negative x.
    const float TwoSqrt2OverPi = 1.5957691216057308f;           // 2·√(2/π)
    const float TwoSqrt2OverPiCubic = 1.5957691216057308f * 0.044715f;
    const float ThreeTwoSqrt2OverPiCubic = 3f * 1.5957691216057308f * 0.044715f;

    /// <summary>y = gelu(x) elementwise. <paramref name="x"/> and <paramref name="y"/> may be the same span.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, bool approximateTanh = false) =>
        Forward(x, y, approximateTanh, Simd.Best, ParallelRunner.Threads);

    /// <summary>dx += dy·gelu'(x) elementwise (accumulates).</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, bool approximateTanh = false) =>
        Backward(x, dy, dx, approximateTanh, Simd.Best, ParallelRunner.Threads);

    internal static void Forward(ReadOnlySpan<float> x, Span<float> y, bool approximateTanh, SimdWidth width, int threads)
    {
        ThrowHelper.CheckSameLength(nameof(y), y.Length, nameof(x), x.Length);
        if (approximateTanh) ElementwiseLoop.Unary<TanhForwardOp>(x, y, width, accumulate: false, threads);
        else ElementwiseLoop.Unary<ErfForwardOp>(x, y, width, accumulate: false, threads);
    }

    internal static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, bool approximateTanh, SimdWidth width, int threads)
    {
        ThrowHelper.CheckSameLength(nameof(dy), dy.Length, nameof(x), x.Length);
        ThrowHelper.CheckSameLength(nameof(dx), dx.Length, nameof(x), x.Length);
        if (approximateTanh) ElementwiseLoop.Binary<TanhBackwardOp>(x, dy, dx, width, accumulate: true, threads);
        else ElementwiseLoop.Binary<ErfBackwardOp>(x, dy, dx, width, accumulate: true, threads);
    }

    /// <summary>The definition (PyTorch's formulas), generic so it runs in double as the test oracle.</summary>
    internal static void ReferenceForward<T>(ReadOnlySpan<T> x, Span<T> y, bool approximateTanh) where T : IFloatingPointIeee754<T>
    {
        T half = T.CreateChecked(0.5);
        for (int i = 0; i < x.Length; i++)
        {
            T v = x[i];
            // 0.5·(1 + tanh(u)) written as 1/(1 + e^(−2u)): equal in real arithmetic, and in
            // double 1 + tanh(u) would cancel to 0 for x below −7, where the float result is not 0.
            y[i] = approximateTanh
                ? v / (T.One + T.Exp(-T.CreateChecked(2) * TanhArgument(v)))
                : v * NormalCdf(v);
        }
    }

    /// <summary>dx += dy·gelu'(x), the derivative of <see cref="ReferenceForward{T}"/>.</summary>
    internal static void ReferenceBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, bool approximateTanh)
        where T : IFloatingPointIeee754<T>
    {
        T half = T.CreateChecked(0.5);
        for (int i = 0; i < x.Length; i++)
        {
            T v = x[i], d;
            if (approximateTanh)
            {
                // With s = σ(2u): d/dx x·s = s + x·s·(1 − s)·2u'.
                T e = T.Exp(-T.CreateChecked(2) * T.Abs(TanhArgument(v)));
                T r = T.One / (T.One + e);
                T s = TanhArgument(v) >= T.Zero ? r : e * r;
                T du = T.CreateChecked(0.7978845608028654) * (T.One + T.CreateChecked(3 * 0.044715) * v * v);
                d = s + v * e * r * r * T.CreateChecked(2) * du;
            }
            else
            {
                T density = T.Exp(-half * v * v) / T.Sqrt(T.CreateChecked(2 * Math.PI));
                d = NormalCdf(v) + v * density;
            }
            dx[i] += dy[i] * d;
        }
    }

    static T TanhArgument<T>(T v) where T : IFloatingPointIeee754<T> =>
        T.CreateChecked(0.7978845608028654) * (v + T.CreateChecked(0.044715) * v * v * v);

    /// <summary>Φ(x) = erfc(−x/√2)/2, accurate to a few ulps of T in both tails.</summary>
    internal static T NormalCdf<T>(T x) where T : IFloatingPointIeee754<T> =>
        T.CreateChecked(0.5) * Erfc(-x / T.Sqrt(T.CreateChecked(2)));

    /// <summary>
    /// erfc(z) for the oracle (.NET has no erf), to about 1e-16 relative in double: below 1 by the
    /// all-positive series erf(z) = 2/√π·e^(−z²)·Σ z·(2z²)ⁿ/(2n+1)!! (1 − erf loses under a
    /// digit there), above by the Laplace continued fraction
    /// erfc(z) = e^(−z²)/√π · 1/(z + ½/(z + 1/(z + 3/2/(z + …)))), 200 terms (converged from z = 1).
    /// </summary>
    internal static T Erfc<T>(T z) where T : IFloatingPointIeee754<T>
    {
        if (T.IsNaN(z)) return z;
        if (z < T.Zero) return T.CreateChecked(2) - Erfc(-z);
        T twoOverSqrtPi = T.CreateChecked(1.1283791670955126);
        T gauss = T.Exp(-z * z);
        if (z < T.One)
        {
            T twoZ2 = T.CreateChecked(2) * z * z, term = z, sum = z;
            for (int n = 1; n < 200 && term > sum * T.Epsilon; n++)
            {
                term = term * twoZ2 / T.CreateChecked(2 * n + 1);
                sum += term;
            }
            return T.One - twoOverSqrtPi * gauss * sum;
        }
        T f = z;
        for (int k = 200; k >= 1; k--) f = z + T.CreateChecked(k * 0.5) / f;
        return gauss / (T.Sqrt(T.Pi) * f);
    }

    /// <summary>x·Φ(x) from the normal tail q: Φ = 1 − q for x ≥ 0, q below.</summary>
    internal readonly struct ErfForwardOp : IUnaryOperator
    {
        public static float Invoke(float a)
        {
            float q = VectorMath.NormalTail(a, out _);
            return a * (a >= 0f ? 1f - q : q);
        }

        public static Vector256<float> Invoke(Vector256<float> a)
        {
            var q = VectorMath.NormalTail(a, out _);
            return a * Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a, Vector256<float>.Zero), Vector256<float>.One - q, q);
        }

        public static Vector512<float> Invoke(Vector512<float> a)
        {
            var q = VectorMath.NormalTail(a, out _);
            return a * Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a, Vector512<float>.Zero), Vector512<float>.One - q, q);
        }
    }

    /// <summary>b·(Φ(a) + a·φ(a)).</summary>
    internal readonly struct ErfBackwardOp : IBinaryOperator
    {
        public static float Invoke(float a, float b)
        {
            float q = VectorMath.NormalTail(a, out float density);
            return b * MathF.FusedMultiplyAdd(a, density, a >= 0f ? 1f - q : q);
        }

        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b)
        {
            var q = VectorMath.NormalTail(a, out var density);
            var cdf = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(a, Vector256<float>.Zero), Vector256<float>.One - q, q);
            return b * Vector256.FusedMultiplyAdd(a, density, cdf);
        }

        public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b)
        {
            var q = VectorMath.NormalTail(a, out var density);
            var cdf = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(a, Vector512<float>.Zero), Vector512<float>.One - q, q);
            return b * Vector512.FusedMultiplyAdd(a, density, cdf);
        }
    }

    /// <summary>a·σ(2u), 2u = a·(2√(2/π))·(1 + 0.044715·a²).</summary>
    internal readonly struct TanhForwardOp : IUnaryOperator
    {
        public static float Invoke(float a) =>
            a * VectorMath.Sigmoid(a * MathF.FusedMultiplyAdd(TwoSqrt2OverPiCubic, a * a, TwoSqrt2OverPi), out _);

        public static Vector256<float> Invoke(Vector256<float> a) =>
            a * VectorMath.Sigmoid(a * Vector256.FusedMultiplyAdd(Vector256.Create(TwoSqrt2OverPiCubic), a * a, Vector256.Create(TwoSqrt2OverPi)), out _);

        public static Vector512<float> Invoke(Vector512<float> a) =>
            a * VectorMath.Sigmoid(a * Vector512.FusedMultiplyAdd(Vector512.Create(TwoSqrt2OverPiCubic), a * a, Vector512.Create(TwoSqrt2OverPi)), out _);
    }

    /// <summary>b·(σ(2u) + a·σ(1 − σ)·d(2u)/da).</summary>
    internal readonly struct TanhBackwardOp : IBinaryOperator
    {
        // Beyond |x| = 1e4 the slope term is exactly 0 and σ exactly 0 or 1; clamping keeps x² and
        // d(2u)/dx finite there, where 0·∞ would give NaN for large finite inputs.
        const float SlopeClamp = 1e4f;

        public static float Invoke(float a, float b)
        {
            a = MathF.Min(MathF.Max(a, -SlopeClamp), SlopeClamp);
            float a2 = a * a;
            float s = VectorMath.Sigmoid(a * MathF.FusedMultiplyAdd(TwoSqrt2OverPiCubic, a2, TwoSqrt2OverPi), out float slope);
            float du = MathF.FusedMultiplyAdd(ThreeTwoSqrt2OverPiCubic, a2, TwoSqrt2OverPi);
            return b * MathF.FusedMultiplyAdd(a * slope, du, s);
        }

        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b)
        {
            a = Vector256.Min(Vector256.Max(a, Vector256.Create(-SlopeClamp)), Vector256.Create(SlopeClamp));
            var a2 = a * a;
            var s = VectorMath.Sigmoid(a * Vector256.FusedMultiplyAdd(Vector256.Create(TwoSqrt2OverPiCubic), a2, Vector256.Create(TwoSqrt2OverPi)), out var slope);
            var du = Vector256.FusedMultiplyAdd(Vector256.Create(ThreeTwoSqrt2OverPiCubic), a2, Vector256.Create(TwoSqrt2OverPi));
            return b * Vector256.FusedMultiplyAdd(a * slope, du, s);
        }

        public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b)
        {
            a = Vector512.Min(Vector512.Max(a, Vector512.Create(-SlopeClamp)), Vector512.Create(SlopeClamp));
            var a2 = a * a;
            var s = VectorMath.Sigmoid(a * Vector512.FusedMultiplyAdd(Vector512.Create(TwoSqrt2OverPiCubic), a2, Vector512.Create(TwoSqrt2OverPi)), out var slope);
            var du = Vector512.FusedMultiplyAdd(Vector512.Create(ThreeTwoSqrt2OverPiCubic), a2, Vector512.Create(TwoSqrt2OverPi));
            return b * Vector512.FusedMultiplyAdd(a * slope, du, s);
        }
    }
}
