using System.Numerics;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>Natural logarithm, elementwise (NaN for negative inputs, −∞ at 0, as IEEE).</summary>
public static class Log
{
    /// <summary>y[i] = ln x[i]. <paramref name="y"/> may alias <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) => Forward(x, y, Simd.Best);

    internal static void Forward(ReadOnlySpan<float> x, Span<float> y, SimdWidth width)
    {
        ThrowHelper.CheckLength(nameof(y), y.Length, x.Length);
        ElementwiseLoop.Unary<ForwardOperator>(x, y, width, accumulate: false);
    }

    /// <summary>dx[i] += dy[i] / x[i], from the input <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) => Backward(x, dy, dx, Simd.Best);

    internal static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, SimdWidth width)
    {
        ThrowHelper.CheckLength(nameof(dy), dy.Length, x.Length);
        ThrowHelper.CheckLength(nameof(dx), dx.Length, x.Length);
        ElementwiseLoop.Binary<BackwardOperator>(x, dy, dx, width, accumulate: true);
    }

    /// <summary>The definition, generic so the gradient check runs in double.</summary>
    internal static void ReferenceForward<T>(ReadOnlySpan<T> x, Span<T> y) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = T.Log(x[i]);
    }

    /// <summary>dx += dy / x.</summary>
    internal static void ReferenceBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) dx[i] += dy[i] / x[i];
    }

    readonly struct ForwardOperator : IUnaryOperator
    {
        public static float Invoke(float x) => MathF.Log(x);
        public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Log(x);
        public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Log(x);
    }

    readonly struct BackwardOperator : IBinaryOperator
    {
        public static float Invoke(float x, float dy) => dy / x;
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) => dy / x;
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) => dy / x;
    }
}
