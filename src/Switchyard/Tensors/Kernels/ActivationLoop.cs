using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// One elementwise function written once for float, Vector256 and Vector512 (as runtime's
/// TensorPrimitives operators). Up to three inputs; unary and binary ops ignore the rest.
/// </summary>
internal interface IElementwiseOp
{
    static abstract float Invoke(float a, float b, float c);
    static abstract Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> c);
    static abstract Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> c);
}

/// <summary>
/// The shared loop of the activation kernels: dst = op(a, b, c), or dst += op(a, b, c) for
/// backward passes, split over threads in fixed chunks when the span is long enough to pay.
/// The last partial vector runs through the vector op on a zero-padded copy, so an element's
/// result depends only on its inputs and the width, never on its position or the thread count.
/// </summary>
internal static unsafe class ActivationLoop
{
    // Below this many elements per part, waking threads costs more than the math (~1 ns/element).
    internal const int MinElementsPerPart = 1 << 15;

    /// <summary>Number of parts for <paramref name="work"/> elements on <paramref name="threads"/> threads.</summary>
    public static int Parts(long work, int threads, int minPerPart = MinElementsPerPart) =>
        (int)Math.Max(1, Math.Min(threads, work / minPerPart));

    /// <summary>
    /// dst = op(a, b, c) (or += when <paramref name="accumulate"/>) over dst.Length elements; inputs an
    /// op ignores are passed as <paramref name="a"/>. dst may alias an input: each vector is loaded
    /// before it is stored.
    /// </summary>
    public static void Run<TOp>(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c, Span<float> dst,
        bool accumulate, SimdWidth width, int threads) where TOp : IElementwiseOp
    {
        int n = dst.Length;
        int parts = Parts(n, threads);
        fixed (float* pa = a, pb = b, pc = c, pd = dst)
        {
            if (parts == 1)
            {
                Range<TOp>(pa, pb, pc, pd, n, accumulate, width);
                return;
            }
            var job = Job<TOp>.Cached ??= new Job<TOp>();
            job.A = pa; job.B = pb; job.C = pc; job.Dst = pd; job.N = n;
            job.Accumulate = accumulate; job.Width = width;
            ParallelRunner.Run(job, parts);
            job.A = job.B = job.C = job.Dst = null;
        }
    }

    /// <summary>Start of part <paramref name="part"/>: equal chunks rounded to a cache line.</summary>
    public static int ChunkStart(int n, int part, int parts)
    {
        if (part >= parts) return n;
        long start = (long)n * part / parts;
        return (int)Math.Min(n, start & ~15L);
    }

    sealed class Job<TOp> : IParallelJob where TOp : IElementwiseOp
    {
        [ThreadStatic] internal static Job<TOp>? Cached;
        public float* A, B, C, Dst;
        public int N;
        public bool Accumulate;
        public SimdWidth Width;

        public void Execute(int part, int parts)
        {
            int start = ChunkStart(N, part, parts), end = ChunkStart(N, part + 1, parts);
            Range<TOp>(A + start, B + start, C + start, Dst + start, end - start, Accumulate, Width);
        }
    }

    // Inputs not used by an op are passed as any valid pointer of the same length (callers pass a).
    static void Range<TOp>(float* a, float* b, float* c, float* d, int n, bool accumulate, SimdWidth width)
        where TOp : IElementwiseOp
    {
        int i = 0;
        if (width == SimdWidth.V512)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var r = TOp.Invoke(Vector512.Load(a + i), Vector512.Load(b + i), Vector512.Load(c + i));
                if (accumulate) r += Vector512.Load(d + i);
                r.Store(d + i);
            }
            if (i < n) Tail512<TOp>(a + i, b + i, c + i, d + i, n - i, accumulate);
        }
        else if (width == SimdWidth.V256)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var r = TOp.Invoke(Vector256.Load(a + i), Vector256.Load(b + i), Vector256.Load(c + i));
                if (accumulate) r += Vector256.Load(d + i);
                r.Store(d + i);
            }
            if (i < n) Tail256<TOp>(a + i, b + i, c + i, d + i, n - i, accumulate);
        }
        else
        {
            for (; i < n; i++)
            {
                float r = TOp.Invoke(a[i], b[i], c[i]);
                d[i] = accumulate ? d[i] + r : r;
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Tail512<TOp>(float* a, float* b, float* c, float* d, int count, bool accumulate) where TOp : IElementwiseOp
    {
        var r = TOp.Invoke(LoadPartial512(a, count), LoadPartial512(b, count), LoadPartial512(c, count));
        if (accumulate) r += LoadPartial512(d, count);
        StorePartial(r, d, count);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Tail256<TOp>(float* a, float* b, float* c, float* d, int count, bool accumulate) where TOp : IElementwiseOp
    {
        var r = TOp.Invoke(LoadPartial256(a, count), LoadPartial256(b, count), LoadPartial256(c, count));
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
