using System.Numerics;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>Natural exponential, elementwise.</summary>
public static class Exp
{
    /// <summary>y[i] = e^x[i]. <paramref name="y"/> may alias <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) => Forward(x, y, Simd.Best);

    internal static void Forward(ReadOnlySpan<float> x, Span<float> y, SimdWidth width)
    {
        ThrowHelper.CheckLength(nameof(y), y.Length, x.Length);
        ElementwiseLoop.Unary<ForwardOperator>(x, y, width, accumulate: false);
    }

    /// <summary>dx[i] += dy[i]·y[i], from the saved output <paramref name="y"/> = e^x.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) => Backward(y, dy, dx, Simd.Best);

    internal static void Backward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, SimdWidth width)
    {
        ThrowHelper.CheckLength(nameof(dy), dy.Length, y.Length);
        ThrowHelper.CheckLength(nameof(dx), dx.Length, y.Length);
        Elementwise.MultiplyAccumulate(y, dy, dx, width);
    }

    /// <summary>The definition, generic so the gradient check runs in double.</summary>
    internal static void ReferenceForward<T>(ReadOnlySpan<T> x, Span<T> y) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = T.Exp(x[i]);
    }

    /// <summary>dx += dy·e^x, from the input x.</summary>
    internal static void ReferenceBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) dx[i] += dy[i] * T.Exp(x[i]);
    }

    readonly struct ForwardOperator : IUnaryOperator
    {
        public static float Invoke(float x) => MathF.Exp(x);
        public static Vector256<float> Invoke(Vector256<float> x) => VectorMath.Exp(x);
        public static Vector512<float> Invoke(Vector512<float> x) => VectorMath.Exp(x);
    }
}
