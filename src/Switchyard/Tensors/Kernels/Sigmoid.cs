using System.Numerics;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>Logistic sigmoid σ(x) = 1 / (1 + e^−x), elementwise.</summary>
public static class Sigmoid
{
    /// <summary>y[i] = σ(x[i]). <paramref name="y"/> may alias <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) => Forward(x, y, Simd.Best);

    internal static void Forward(ReadOnlySpan<float> x, Span<float> y, SimdWidth width)
    {
        ThrowHelper.CheckLength(nameof(y), y.Length, x.Length);
        ElementwiseLoop.Unary<ForwardOperator>(x, y, width, accumulate: false);
    }

    /// <summary>dx[i] += dy[i]·y[i]·(1 − y[i]), from the saved output <paramref name="y"/> = σ(x).</summary>
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
        for (int i = 0; i < x.Length; i++) y[i] = T.One / (T.One + T.Exp(-x[i]));
    }

    /// <summary>dx += dy·σ(x)·(1 − σ(x)), from the input x.</summary>
    internal static void ReferenceBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            T s = T.One / (T.One + T.Exp(-x[i]));
            dx[i] += dy[i] * s * (T.One - s);
        }
    }

    // The shared sigmoid, built from e^−|x|: no overflow, and full relative precision in the
    // far negative tail, where e^−x overflows and 1/(1 + e^−x) gives 0.
    readonly struct ForwardOperator : IUnaryOperator
    {
        public static float Invoke(float x) => VectorMath.Sigmoid(x, out _);
        public static Vector256<float> Invoke(Vector256<float> x) => VectorMath.Sigmoid(x, out _);
        public static Vector512<float> Invoke(Vector512<float> x) => VectorMath.Sigmoid(x, out _);
    }

    readonly struct BackwardOperator : IBinaryOperator
    {
        public static float Invoke(float y, float dy) => dy * y * (1f - y);
        public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => dy * y * (Vector256<float>.One - y);
        public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => dy * y * (Vector512<float>.One - y);
    }
}
