using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// Elementwise arithmetic over equal-length spans: add, subtract, multiply, scale, and the
/// accumulating forms backward passes use. Single-threaded (memory-bound) and deterministic.
/// </summary>
public static class Elementwise
{
    /// <summary>y[i] = a[i] + b[i]. <paramref name="y"/> may alias either input.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => Add(a, b, y, Simd.Best);

    internal static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, SimdWidth width)
    {
        Check(a, b, y);
        ElementwiseLoop.Binary<AddOperator>(a, b, y, width, accumulate: false);
    }

    /// <summary>y[i] = a[i] − b[i]. <paramref name="y"/> may alias either input.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Subtract(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => Subtract(a, b, y, Simd.Best);

    internal static void Subtract(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, SimdWidth width)
    {
        Check(a, b, y);
        ElementwiseLoop.Binary<SubtractOperator>(a, b, y, width, accumulate: false);
    }

    /// <summary>y[i] = a[i]·b[i]. <paramref name="y"/> may alias either input.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => Multiply(a, b, y, Simd.Best);

    internal static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, SimdWidth width)
    {
        Check(a, b, y);
        ElementwiseLoop.Binary<MultiplyOperator>(a, b, y, width, accumulate: false);
    }

    /// <summary>y[i] += a[i]·b[i]: the backward of <see cref="Multiply(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/> (dA += dY·B).</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void MultiplyAccumulate(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y) => MultiplyAccumulate(a, b, y, Simd.Best);

    internal static void MultiplyAccumulate(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, SimdWidth width)
    {
        Check(a, b, y);
        ElementwiseLoop.Binary<MultiplyOperator>(a, b, y, width, accumulate: true);
    }

    /// <summary>y[i] = s·x[i]. <paramref name="y"/> may alias <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Scale(ReadOnlySpan<float> x, float s, Span<float> y) => ScaleCore(x, s, y, Simd.Best, accumulate: false);

    internal static void Scale(ReadOnlySpan<float> x, float s, Span<float> y, SimdWidth width) => ScaleCore(x, s, y, width, accumulate: false);

    /// <summary>y[i] += s·x[i] (axpy): the backward of <see cref="Scale(ReadOnlySpan{float}, float, Span{float})"/>, and with s = 1 the backward of add.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Accumulate(ReadOnlySpan<float> x, Span<float> y, float s = 1f) => ScaleCore(x, s, y, Simd.Best, accumulate: true);

    internal static void Accumulate(ReadOnlySpan<float> x, Span<float> y, float s, SimdWidth width) => ScaleCore(x, s, y, width, accumulate: true);

    /// <summary>y[r, c] = x[r, c] + bias[c] for a row-major [rows, cols] <paramref name="x"/>: a bias broadcast over rows.</summary>
    /// <exception cref="ArgumentException">A length does not match rows and cols.</exception>
    public static void AddRowBroadcast(ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y, int rows, int cols) =>
        AddRowBroadcast(x, bias, y, rows, cols, Simd.Best);

    internal static void AddRowBroadcast(ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y, int rows, int cols, SimdWidth width)
    {
        ThrowHelper.CheckLength(nameof(x), x.Length, rows * cols);
        ThrowHelper.CheckLength(nameof(bias), bias.Length, cols);
        ThrowHelper.CheckLength(nameof(y), y.Length, rows * cols);
        for (int r = 0; r < rows; r++)
            ElementwiseLoop.Binary<AddOperator>(x.Slice(r * cols, cols), bias, y.Slice(r * cols, cols), width, accumulate: false);
    }

    static void ScaleCore(ReadOnlySpan<float> x, float s, Span<float> y, SimdWidth width, bool accumulate)
    {
        ThrowHelper.CheckLength(nameof(y), y.Length, x.Length);
        int n = x.Length, i = 0;
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        if (width == SimdWidth.V512)
        {
            var sv = Vector512.Create(s);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var v = Vector512.LoadUnsafe(ref xs, (nuint)i);
                v = accumulate ? Vector512.FusedMultiplyAdd(v, sv, Vector512.LoadUnsafe(ref ys, (nuint)i)) : v * sv;
                v.StoreUnsafe(ref ys, (nuint)i);
            }
        }
        else if (width == SimdWidth.V256)
        {
            var sv = Vector256.Create(s);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref xs, (nuint)i);
                v = accumulate ? Vector256.FusedMultiplyAdd(v, sv, Vector256.LoadUnsafe(ref ys, (nuint)i)) : v * sv;
                v.StoreUnsafe(ref ys, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref xs, i);
            Unsafe.Add(ref ys, i) = accumulate ? MathF.FusedMultiplyAdd(v, s, Unsafe.Add(ref ys, i)) : v * s;
        }
    }

    static void Check(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y)
    {
        ThrowHelper.CheckLength(nameof(b), b.Length, a.Length);
        ThrowHelper.CheckLength(nameof(y), y.Length, a.Length);
    }

    /// <summary>The definition of multiply, generic so the gradient check runs in double.</summary>
    internal static void ReferenceMultiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < a.Length; i++) y[i] = a[i] * b[i];
    }

    /// <summary>dA += dY·B and dB += dY·A (either gradient span may be empty to skip it).</summary>
    internal static void ReferenceMultiplyBackward<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> dy, Span<T> da, Span<T> db)
        where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < a.Length; i++)
        {
            if (!da.IsEmpty) da[i] += dy[i] * b[i];
            if (!db.IsEmpty) db[i] += dy[i] * a[i];
        }
    }

    /// <summary>The definition of the row-broadcast bias add, generic for the double oracle.</summary>
    internal static void ReferenceAddRowBroadcast<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> bias, Span<T> y, int rows, int cols)
        where T : IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) y[r * cols + c] = x[r * cols + c] + bias[c];
    }

    readonly struct AddOperator : IBinaryOperator
    {
        public static float Invoke(float x, float y) => x + y;
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x + y;
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x + y;
    }

    readonly struct SubtractOperator : IBinaryOperator
    {
        public static float Invoke(float x, float y) => x - y;
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x - y;
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x - y;
    }

    readonly struct MultiplyOperator : IBinaryOperator
    {
        public static float Invoke(float x, float y) => x * y;
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x * y;
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x * y;
    }
}
