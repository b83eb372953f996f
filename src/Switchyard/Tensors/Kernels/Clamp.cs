using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>Clamp to [min, max], elementwise; the gradient passes only inside the range.</summary>
public static class Clamp
{
    /// <summary>y[i] = min(max(x[i], <paramref name="min"/>), <paramref name="max"/>). <paramref name="y"/> may alias <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">Lengths differ, or min &gt; max.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, float min, float max) => Forward(x, y, min, max, Simd.Best);

    internal static void Forward(ReadOnlySpan<float> x, Span<float> y, float min, float max, SimdWidth width)
    {
        ThrowHelper.CheckLength(nameof(y), y.Length, x.Length);
        CheckRange(min, max);
        int n = x.Length, i = 0;
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        if (width == SimdWidth.V512)
        {
            Vector512<float> lo = Vector512.Create(min), hi = Vector512.Create(max);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                Vector512.Min(Vector512.Max(Vector512.LoadUnsafe(ref xs, (nuint)i), lo), hi).StoreUnsafe(ref ys, (nuint)i);
        }
        else if (width == SimdWidth.V256)
        {
            Vector256<float> lo = Vector256.Create(min), hi = Vector256.Create(max);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                Vector256.Min(Vector256.Max(Vector256.LoadUnsafe(ref xs, (nuint)i), lo), hi).StoreUnsafe(ref ys, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref ys, i) = MathF.Min(MathF.Max(Unsafe.Add(ref xs, i), min), max);
    }

    /// <summary>dx[i] += dy[i] where min ≤ x[i] ≤ max (inclusive, as PyTorch), else nothing.</summary>
    /// <exception cref="ArgumentException">Lengths differ, or min &gt; max.</exception>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, float min, float max) =>
        Backward(x, dy, dx, min, max, Simd.Best);

    internal static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, float min, float max, SimdWidth width)
    {
        ThrowHelper.CheckLength(nameof(dy), dy.Length, x.Length);
        ThrowHelper.CheckLength(nameof(dx), dx.Length, x.Length);
        CheckRange(min, max);
        int n = x.Length, i = 0;
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float gs = ref MemoryMarshal.GetReference(dy);
        ref float ds = ref MemoryMarshal.GetReference(dx);
        if (width == SimdWidth.V512)
        {
            Vector512<float> lo = Vector512.Create(min), hi = Vector512.Create(max);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var v = Vector512.LoadUnsafe(ref xs, (nuint)i);
                var inside = Vector512.GreaterThanOrEqual(v, lo) & Vector512.LessThanOrEqual(v, hi);
                (Vector512.LoadUnsafe(ref ds, (nuint)i) + (Vector512.LoadUnsafe(ref gs, (nuint)i) & inside)).StoreUnsafe(ref ds, (nuint)i);
            }
        }
        else if (width == SimdWidth.V256)
        {
            Vector256<float> lo = Vector256.Create(min), hi = Vector256.Create(max);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref xs, (nuint)i);
                var inside = Vector256.GreaterThanOrEqual(v, lo) & Vector256.LessThanOrEqual(v, hi);
                (Vector256.LoadUnsafe(ref ds, (nuint)i) + (Vector256.LoadUnsafe(ref gs, (nuint)i) & inside)).StoreUnsafe(ref ds, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float v = Unsafe.Add(ref xs, i);
            if (v >= min && v <= max) Unsafe.Add(ref ds, i) += Unsafe.Add(ref gs, i);
        }
    }

    /// <summary>The definition, generic so the gradient check runs in double.</summary>
    internal static void ReferenceForward<T>(ReadOnlySpan<T> x, Span<T> y, T min, T max) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = T.Min(T.Max(x[i], min), max);
    }

    /// <summary>dx += dy inside [min, max].</summary>
    internal static void ReferenceBackward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, T min, T max) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < x.Length; i++)
            if (x[i] >= min && x[i] <= max) dx[i] += dy[i];
    }

    static void CheckRange(float min, float max)
    {
        if (!(min <= max)) throw new ArgumentException($"min {min} is greater than max {max}", nameof(min));
    }
}
