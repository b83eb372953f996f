using System.Numerics;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>SiLU (swish), y = x·σ(x), as PyTorch <c>F.silu</c> and Hugging Face <c>ACT2FN["silu"]</c>.</summary>
public static class Silu
{
    /// <summary>y = x·σ(x) elementwise. <paramref name="x"/> and <paramref name="y"/> may be the same span.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y) => Forward(x, y, Simd.Best, ParallelRunner.Threads);

    /// <summary>dx += dy·σ(x)·(1 + x·(1 − σ(x))) elementwise (accumulates).</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx) =>
        Backward(x, dy, dx, Simd.Best, ParallelRunner.Threads);

    internal static void Forward(ReadOnlySpan<float> x, Span<float> y, SimdWidth width, int threads)
    {
        ThrowHelper.CheckSameLength(nameof(y), y.Length, nameof(x), x.Length);
        ElementwiseLoop.Unary<ForwardOp>(x, y, width, accumulate: false, threads);
    }

    internal static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, SimdWidth width, int threads)
    {
        ThrowHelper.CheckSameLength(nameof(dy), dy.Length, nameof(x), x.Length);
        ThrowHelper.CheckSameLength(nameof(dx), dx.Length, nameof(x), x.Length);
        ElementwiseLoop.Binary<BackwardOp>(x, dy, dx, width, accumulate: true, threads);
    }

    /// <summary>The definition, generic so it runs in double as the test oracle.</summary>
    internal static void ReferenceForward<T>(ReadOnlySpan<T> x, Span<T> y) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] / (T.One + T.Exp(-x[i]));
    }

    /// <summary>dx += dy·σ(x)·(1 + x·(1 − σ(x))), the derivative of <see cref="ReferenceForward{T}"/>.</summary>
    internal static void ReferenceBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
        {
            T s = T.One / (T.One + T.Exp(-x[i]));
            dx[i] += dy[i] * s * (T.One + x[i] * (T.One - s));
        }
    }

    /// <summary>silu(a).</summary>
    internal readonly struct ForwardOp : IUnaryOperator
    {
        public static float Invoke(float a) => a * VectorMath.Sigmoid(a, out _);
        public static Vector256<float> Invoke(Vector256<float> a) => a * VectorMath.Sigmoid(a, out _);
        public static Vector512<float> Invoke(Vector512<float> a) => a * VectorMath.Sigmoid(a, out _);
    }

    /// <summary>silu'(a)·b: σ + a·σ(1 − σ), with σ(1 − σ) formed without cancellation.</summary>
    internal readonly struct BackwardOp : IBinaryOperator
    {
        public static float Invoke(float a, float b)
        {
            float s = VectorMath.Sigmoid(a, out float slope);
            return b * MathF.FusedMultiplyAdd(a, slope, s);
        }

        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b)
        {
            var s = VectorMath.Sigmoid(a, out var slope);
            return b * Vector256.FusedMultiplyAdd(a, slope, s);
        }

        public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b)
        {
            var s = VectorMath.Sigmoid(a, out var slope);
            return b * Vector512.FusedMultiplyAdd(a, slope, s);
        }
    }
}
