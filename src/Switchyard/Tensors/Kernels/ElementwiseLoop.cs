using System.Runtime.CompilerServices;
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
/// structs): the math lives in an operator struct, the loop picks the width. y = op(...), or
/// y += op(...) for backward passes. The last partial vector runs through the vector op on a
/// zero-padded copy, so an element's result depends only on its inputs and the width, never on
/// its position or the thread count. With <c>threads</c> &gt; 1, spans long enough to pay are
/// split over threads in fixed chunks (per element independent, so still deterministic).
/// </summary>
internal static unsafe class ElementwiseLoop
{
    // Below this many elements per part, waking threads costs more than the math (~1 ns/element).
    internal const int MinElementsPerPart = 1 << 15;

    /// <summary>Number of parts for <paramref name="work"/> elements on <paramref name="threads"/> threads.</summary>
    public static int Parts(long work, int threads, int minPerPart = MinElementsPerPart) =>
        (int)Math.Max(1, Math.Min(threads, work / minPerPart));

    /// <summary>Start of part <paramref name="part"/>: equal chunks rounded to a cache line.</summary>
    public static int ChunkStart(int n, int part, int parts)
    {
        if (part >= parts) return n;
        long start = (long)n * part / parts;
        return (int)Math.Min(n, start & ~15L);
    }

    /// <summary>
    /// y[i] = Op(x[i]), or y[i] += Op(x[i]) when <paramref name="accumulate"/>, over y.Length
    /// elements (callers check lengths). y may alias x: each vector is loaded before it is stored.
    /// </summary>
    public static void Unary<TOp>(ReadOnlySpan<float> x, Span<float> y, SimdWidth width, bool accumulate, int threads = 1)
        where TOp : IUnaryOperator =>
        Run<UnaryAsBinary<TOp>>(x, x, y, accumulate, width, threads);

    /// <summary>y[i] = Op(a[i], b[i]), or y[i] += Op(a[i], b[i]) when <paramref name="accumulate"/> (see <see cref="Unary"/>).</summary>
    public static void Binary<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, SimdWidth width, bool accumulate, int threads = 1)
        where TOp : IBinaryOperator =>
        Run<TOp>(a, b, y, accumulate, width, threads);

    // A unary op as a binary one, so one loop serves both; the second input is the first again.
    readonly struct UnaryAsBinary<TOp> : IBinaryOperator where TOp : IUnaryOperator
    {
        public static float Invoke(float x, float y) => TOp.Invoke(x);
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => TOp.Invoke(x);
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => TOp.Invoke(x);
    }

    static void Run<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst, bool accumulate, SimdWidth width, int threads)
        where TOp : IBinaryOperator
    {
        int n = dst.Length;
        int parts = Parts(n, threads);
        fixed (float* pa = a, pb = b, pd = dst)
        {
            if (parts == 1)
            {
                Range<TOp>(pa, pb, pd, n, accumulate, width);
                return;
            }
            var job = Job<TOp>.Cached ??= new Job<TOp>();
            job.A = pa; job.B = pb; job.Dst = pd; job.N = n;
            job.Accumulate = accumulate; job.Width = width;
            ParallelRunner.Run(job, parts);
            job.A = job.B = job.Dst = null;
        }
    }

    sealed class Job<TOp> : IParallelJob where TOp : IBinaryOperator
    {
        [ThreadStatic] internal static Job<TOp>? Cached;
        public float* A, B, Dst;
        public int N;
        public bool Accumulate;
        public SimdWidth Width;

        public void Execute(int part, int parts)
        {
            int start = ChunkStart(N, part, parts), end = ChunkStart(N, part + 1, parts);
            Range<TOp>(A + start, B + start, Dst + start, end - start, Accumulate, Width);
        }
    }

    static void Range<TOp>(float* a, float* b, float* d, int n, bool accumulate, SimdWidth width)
        where TOp : IBinaryOperator
    {
        int i = 0;
        if (width == SimdWidth.V512)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var r = TOp.Invoke(Vector512.Load(a + i), Vector512.Load(b + i));
                if (accumulate) r += Vector512.Load(d + i);
                r.Store(d + i);
            }
            if (i < n) Tail512<TOp>(a + i, b + i, d + i, n - i, accumulate);
        }
        else if (width == SimdWidth.V256)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var r = TOp.Invoke(Vector256.Load(a + i), Vector256.Load(b + i));
                if (accumulate) r += Vector256.Load(d + i);
                r.Store(d + i);
            }
            if (i < n) Tail256<TOp>(a + i, b + i, d + i, n - i, accumulate);
        }
        else
        {
            for (; i < n; i++)
            {
                float r = TOp.Invoke(a[i], b[i]);
                d[i] = accumulate ? d[i] + r : r;
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Tail512<TOp>(float* a, float* b, float* d, int count, bool accumulate) where TOp : IBinaryOperator
    {
        var r = TOp.Invoke(LoadPartial512(a, count), LoadPartial512(b, count));
        if (accumulate) r += LoadPartial512(d, count);
        StorePartial(r, d, count);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Tail256<TOp>(float* a, float* b, float* d, int count, bool accumulate) where TOp : IBinaryOperator
    {
        var r = TOp.Invoke(LoadPartial256(a, count), LoadPartial256(b, count));
        if (accumulate) r += LoadPartial256(d, count);
        StorePartial(r, d, count);
    }

    /// <summary>The first <paramref name="count"/> floats at <paramref name="p"/>, zeros after.</summary>
    public static Vector512<float> LoadPartial512(float* p, int count)
    {
        float* tmp = stackalloc float[Vector512<float>.Count];
        Vector512<float>.Zero.Store(tmp);
        new ReadOnlySpan<float>(p, count).CopyTo(new Span<float>(tmp, count));
        return Vector512.Load(tmp);
    }

    /// <inheritdoc cref="LoadPartial512"/>
    public static Vector256<float> LoadPartial256(float* p, int count)
    {
        float* tmp = stackalloc float[Vector256<float>.Count];
        Vector256<float>.Zero.Store(tmp);
        new ReadOnlySpan<float>(p, count).CopyTo(new Span<float>(tmp, count));
        return Vector256.Load(tmp);
    }

    /// <summary>Stores the first <paramref name="count"/> lanes of <paramref name="v"/> at <paramref name="p"/>.</summary>
    public static void StorePartial(Vector512<float> v, float* p, int count)
    {
        float* tmp = stackalloc float[Vector512<float>.Count];
        v.Store(tmp);
        new ReadOnlySpan<float>(tmp, count).CopyTo(new Span<float>(p, count));
    }

    /// <inheritdoc cref="StorePartial(Vector512{float}, float*, int)"/>
    public static void StorePartial(Vector256<float> v, float* p, int count)
    {
        float* tmp = stackalloc float[Vector256<float>.Count];
        v.Store(tmp);
        new ReadOnlySpan<float>(tmp, count).CopyTo(new Span<float>(p, count));
    }
}
