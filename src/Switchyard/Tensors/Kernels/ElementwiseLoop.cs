using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>An elementwise function of one input, written once for scalars and both vector widths.</summary>
internal interface IUnaryOperator
{
    static abstract float Invoke(float x);
    static abstract Vector256<float> Invoke(Vector256<float> x);
    static abstract Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>An elementwise function of two inputs, written once for scalars and both vector widths.</summary>
internal interface IBinaryOperator
{
    static abstract float Invoke(float x, float y);
    static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);
    static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> y);
}

/// <summary>
/// The one shared loop of the elementwise kernels (as runtime's TensorPrimitives operator
/// structs): the math lives in an operator struct, the loop picks the width. Elementwise work
/// is memory-bound and per element independent, so it runs on the calling thread and is
/// deterministic by construction.
/// </summary>
internal static class ElementwiseLoop
{
    /// <summary>y[i] = Op(x[i]), or y[i] += Op(x[i]) when <paramref name="accumulate"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unary<TOp>(ReadOnlySpan<float> x, Span<float> y, SimdWidth width, bool accumulate)
        where TOp : IUnaryOperator
    {
        int n = x.Length, i = 0;
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        if (width == SimdWidth.V512)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var v = TOp.Invoke(Vector512.LoadUnsafe(ref xs, (nuint)i));
                if (accumulate) v += Vector512.LoadUnsafe(ref ys, (nuint)i);
                v.StoreUnsafe(ref ys, (nuint)i);
            }
        }
        else if (width == SimdWidth.V256)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = TOp.Invoke(Vector256.LoadUnsafe(ref xs, (nuint)i));
                if (accumulate) v += Vector256.LoadUnsafe(ref ys, (nuint)i);
                v.StoreUnsafe(ref ys, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float v = TOp.Invoke(Unsafe.Add(ref xs, i));
            Unsafe.Add(ref ys, i) = accumulate ? Unsafe.Add(ref ys, i) + v : v;
        }
    }

    /// <summary>y[i] = Op(a[i], b[i]), or y[i] += Op(a[i], b[i]) when <paramref name="accumulate"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Binary<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, SimdWidth width, bool accumulate)
        where TOp : IBinaryOperator
    {
        int n = a.Length, i = 0;
        ref float aa = ref MemoryMarshal.GetReference(a);
        ref float bb = ref MemoryMarshal.GetReference(b);
        ref float ys = ref MemoryMarshal.GetReference(y);
        if (width == SimdWidth.V512)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var v = TOp.Invoke(Vector512.LoadUnsafe(ref aa, (nuint)i), Vector512.LoadUnsafe(ref bb, (nuint)i));
                if (accumulate) v += Vector512.LoadUnsafe(ref ys, (nuint)i);
                v.StoreUnsafe(ref ys, (nuint)i);
            }
        }
        else if (width == SimdWidth.V256)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = TOp.Invoke(Vector256.LoadUnsafe(ref aa, (nuint)i), Vector256.LoadUnsafe(ref bb, (nuint)i));
                if (accumulate) v += Vector256.LoadUnsafe(ref ys, (nuint)i);
                v.StoreUnsafe(ref ys, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float v = TOp.Invoke(Unsafe.Add(ref aa, i), Unsafe.Add(ref bb, i));
            Unsafe.Add(ref ys, i) = accumulate ? Unsafe.Add(ref ys, i) + v : v;
        }
    }
}
