using Switchyard.Tensors.Kernels.GemmCore;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// One GEMM on sub-matrices of larger row-major arrays, C[m×n] (row stride ldc) = op(A)·op(B) + beta·C with explicit
/// leading dimensions: what a slice of a shared weight needs (a column block of <c>down_proj</c> or <c>o_proj</c> is
/// strided). The same packed driver as <see cref="Gemm"/>, so the same bits for any thread count.
/// </summary>
internal static unsafe class StridedGemm
{
    /// <summary>C = op(A)·op(B) + beta·C; op(A)(i, p) = A[i·lda + p] (A[p·lda + i] when transA), op(B)(p, j) = B[p·ldb + j] (B[j·ldb + p] when transB).</summary>
    public static void Multiply(float* a, nint lda, bool transA, float* b, nint ldb, bool transB, float* c, nint ldc, int m, int n, int k, float beta)
    {
        if (m == 0 || n == 0) return;
        var batch = new GemmBatch
        {
            Kind = GemmBatchKind.Single,
            Single = new GemmProblem
            {
                A = a, Lda = lda, TransA = transA, B = b, Ldb = ldb, TransB = transB, C = c, Ldc = ldc, M = m, N = n, K = k, Beta = beta,
            },
        };
        GemmDriver.Run(in batch, Simd.Best, ParallelRunner.Threads);
    }
}
