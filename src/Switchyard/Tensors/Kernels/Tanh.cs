using System.Numerics;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>Hyperbolic tangent, elementwise.</summary>
public static class Tanh
{
    /// <summary>y[i] = tanh(x[i]). <paramref name="y"/> may alias <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) => Forward(x, y, Simd.Best);

    internal static void Forward(ReadOnlySpan<float> x, Span<float> y, SimdWidth width)
    {
        ThrowHelper.CheckLength(nameof(y), y.Length, x.Length);
        ElementwiseLoop.Unary<ForwardOperator>(x, y, width, accumulate: false);
    }

    /// <summary>dx[i] += dy[i]·(1 − y[i]²), from the saved output <paramref name="y"/> = tanh(x).</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => Backward(y, dy, dx, Simd.Best);

    internal static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, SimdWidth width)
    {
        ThrowHelper.CheckLength(nameof(dy), dy.Length, y.Length);
        ThrowHelper.CheckLength(nameof(dx), dx.Length, y.Length);
        ElementwiseLoop.Binary<BackwardOperator>(y, dy, dx, width, accumulate: true);
    }

    /// <summary>The definition, generic so the gradient check runs in double.</summary>
    internal static void ReferenceForward<T>(ReadOnlySpan<T> x, Span<T> y) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = T.Tanh(x[i]);
    }

    /// <summary>dx += dy·(1 − tanh²(x)), from the input x.</summary>
    internal static void ReferenceBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            T t = T.Tanh(x[i]);
            dx[i] += dy[i] * (T.One - t * t);
        }
    }

    // Vector paths: tanh|x| = (1 − e^−2|x|)/(1 + e^−2|x|) never overflows; near 0 that form
    // cancels (1 − t with t ≈ 1), so |x| < 1/16 uses the odd series x − x³/3 + 2x⁵/15 − 17x⁷/315
    // (next term < 3e-11 relative there).
    const float Small = 0.0625f;

    readonly struct ForwardOperator : IUnaryOperator
    {
        public static float Invoke(float x) => MathF.Tanh(x);

        public static Vector256<float> Invoke(Vector256<float> x)
        {
            var ax = Vector256.Abs(x);
            var t = VectorMath.Exp(ax * Vector256.Create(-2f));
            var big = (Vector256<float>.One - t) / (Vector256<float>.One + t);
            big = Vector256.ConditionalSelect(Vector256.Create(-0f), x, big); // copy the sign of x
            var x2 = x * x;
            var poly = Vector256.FusedMultiplyAdd(x2, Vector256.Create(-17f / 315f), Vector256.Create(2f / 15f));
            poly = Vector256.FusedMultiplyAdd(x2, poly, Vector256.Create(-1f / 3f));
            var small = Vector256.FusedMultiplyAdd(x2 * x, poly, x);
            return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(Small)), small, big);
        }

        public static Vector512<float> Invoke(Vector512<float> x)
        {
            var ax = Vector512.Abs(x);
            var t = VectorMath.Exp(ax * Vector512.Create(-2f));
            var big = (Vector512<float>.One - t) / (Vector512<float>.One + t);
            big = Vector512.ConditionalSelect(Vector512.Create(-0f), x, big);
            var x2 = x * x;
            var poly = Vector512.FusedMultiplyAdd(x2, Vector512.Create(-17f / 315f), Vector512.Create(2f / 15f));
            poly = Vector512.FusedMultiplyAdd(x2, poly, Vector512.Create(-1f / 3f));
            var small = Vector512.FusedMultiplyAdd(x2 * x, poly, x);
            return Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(Small)), small, big);
        }
    }

    readonly struct BackwardOperator : IBinaryOperator
    {
        public static float Invoke(float y, float dy) => dy * (1f - y * y);
        public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => dy * (Vector256<float>.One - y * y);
        public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => dy * (Vector512<float>.One - y * y);
    }
}
