using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.Intrinsics;
using Switchyard.Tensors.Kernels.GemmCore;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// Single-precision matrix multiply, C = op(A)·op(B) + beta·C, row-major.
/// <para>
/// Large products run a packed, cache-blocked kernel (GotoBLAS/BLIS style) with an 8×32
/// AVX-512 (or 6×16 AVX2, or 4×4 scalar) register-blocked micro-kernel, split over
/// <see cref="ParallelRunner"/> by static partition of rows and columns. On AVX-512, few rows
/// (≤ 192 per block) times a B stored n×k (<c>transB</c>, the Linear forward) skip packing B:
/// a kernel with swapped roles broadcasts B's elements where they lie, with the same FMA
/// sequence per element, so both paths give identical bits. The depth K is never
/// split, so results are bit-identical for any thread count (for a given SIMD width).
/// Products with m·n·k below about 32k multiply-adds take a direct loop without packing.
/// Steady-state calls allocate nothing (packing buffers are cached per thread).
/// </para>
/// </summary>
public static class Gemm
{
    /// <summary>Below this many multiply-adds, packing costs more than it saves.</summary>
    internal const long DirectWork = 32 * 1024;

    /// <summary>
    /// C[m×n] = op(A)·op(B) + <paramref name="beta"/>·C. op(A) is m×k (A stored k×m when
    /// <paramref name="transA"/>); op(B) is k×n (B stored n×k when <paramref name="transB"/>).
    /// With beta = 0, C is not read (it may hold anything); beta = 1 accumulates. C must not
    /// overlap A or B. A Linear layer with W stored [out, in] computes y = x·Wᵀ as
    /// <c>Multiply(x, W, y, rows, out, in, transB: true)</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative.</exception>
    /// <exception cref="ArgumentException">A span's length is not the product of its sizes.</exception>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k,
        bool transA = false, bool transB = false, float beta = 0f) =>
        Multiply(a, b, c, m, n, k, transA, transB, beta, Simd.Best, ParallelRunner.Threads);

    /// <summary><see cref="Multiply(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, bool, bool, float)"/> at a forced width and thread count (tests, benchmarks).</summary>
    internal static unsafe void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k,
        bool transA, bool transB, float beta, SimdWidth width, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (a.Length != (long)m * k) ThrowLength(nameof(a), a.Length, 1, transA ? k : m, transA ? m : k, transA ? "k×m" : "m×k");
        if (b.Length != (long)k * n) ThrowLength(nameof(b), b.Length, 1, transB ? n : k, transB ? k : n, transB ? "n×k" : "k×n");
        if (c.Length != (long)m * n) ThrowLength(nameof(c), c.Length, 1, m, n, "m×n");
        if (m == 0 || n == 0) return;
        if ((long)m * n * k < DirectWork)
        {
            Direct(a, b, c, m, n, k, transA, transB, beta, width);
            return;
        }
        fixed (float* pa = a, pb = b, pc = c)
        {
            var batch = new GemmBatch
            {
                Kind = GemmBatchKind.Single,
                Single = new GemmProblem
                {
                    A = pa, Lda = transA ? m : k, TransA = transA,
                    B = pb, Ldb = transB ? k : n, TransB = transB,
                    C = pc, Ldc = n, M = m, N = n, K = k, Beta = beta,
                },
            };
            GemmDriver.Run(in batch, width, threads);
        }
    }

    /// <summary>Throws for a span whose length is not groups·rows·cols; the message names both.</summary>
    [DoesNotReturn]
    internal static void ThrowLength(string name, int actual, int groups, int rows, int cols, string what)
    {
        string shape = groups == 1 ? $"{rows}×{cols} ({what})" : $"{groups}×{rows}×{cols} ({what})";
        throw new ArgumentException($"{name} has length {actual} but {shape} needs {(long)groups * rows * cols}.", name);
    }

    /// <summary>
    /// Unpacked loops for small products: row axpys when B is k×n, dot products when B is n×k.
    /// Single-threaded and independent of the thread count.
    /// </summary>
    internal static void Direct(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k,
        bool transA, bool transB, float beta, SimdWidth width)
    {
        for (int i = 0; i < m; i++)
        {
            Span<float> ci = c.Slice(i * n, n);
            if (!transB)
            {
                if (beta == 0f) ci.Clear();
                else if (beta != 1f) for (int j = 0; j < n; j++) ci[j] *= beta;
                for (int p = 0; p < k; p++)
                {
                    float aip = transA ? a[p * m + i] : a[i * k + p];
                    Axpy(aip, b.Slice(p * n, n), ci, width);
                }
            }
            else
            {
                for (int j = 0; j < n; j++)
                {
                    ReadOnlySpan<float> bj = b.Slice(j * k, k);
                    float s;
                    if (!transA) s = Dot(a.Slice(i * k, k), bj, width);
                    else
                    {
                        s = 0f;
                        for (int p = 0; p < k; p++) s = MathF.FusedMultiplyAdd(a[p * m + i], bj[p], s);
                    }
                    ci[j] = beta == 0f ? s : MathF.FusedMultiplyAdd(ci[j], beta, s);
                }
            }
        }
    }

    // y += alpha·x
    static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y, SimdWidth width)
    {
        int i = 0;
        if (width == SimdWidth.V512)
        {
            var av = Vector512.Create(alpha);
            for (; i <= x.Length - Vector512<float>.Count; i += Vector512<float>.Count)
                Vector512.FusedMultiplyAdd(av, Vector512.Create(x[i..]), Vector512.Create(y[i..])).CopyTo(y[i..]);
        }
        else if (width == SimdWidth.V256)
        {
            var av = Vector256.Create(alpha);
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
                Vector256.FusedMultiplyAdd(av, Vector256.Create(x[i..]), Vector256.Create(y[i..])).CopyTo(y[i..]);
        }
        for (; i < x.Length; i++) y[i] = MathF.FusedMultiplyAdd(alpha, x[i], y[i]);
    }

    static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y, SimdWidth width)
    {
        int i = 0;
        float sum = 0f;
        if (width == SimdWidth.V512)
        {
            var acc = Vector512<float>.Zero;
            for (; i <= x.Length - Vector512<float>.Count; i += Vector512<float>.Count)
                acc = Vector512.FusedMultiplyAdd(Vector512.Create(x[i..]), Vector512.Create(y[i..]), acc);
            sum = Vector512.Sum(acc);
        }
        else if (width == SimdWidth.V256)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
                acc = Vector256.FusedMultiplyAdd(Vector256.Create(x[i..]), Vector256.Create(y[i..]), acc);
            sum = Vector256.Sum(acc);
        }
        for (; i < x.Length; i++) sum = MathF.FusedMultiplyAdd(x[i], y[i], sum);
        return sum;
    }

    /// <summary>The definition, generic so the tests run it in double as the oracle.</summary>
    internal static void Reference<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k,
        bool transA, bool transB, T beta) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                T s = T.Zero;
                for (int p = 0; p < k; p++)
                    s += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
                c[i * n + j] = T.IsZero(beta) ? s : s + beta * c[i * n + j];
            }
        }
    }
}
