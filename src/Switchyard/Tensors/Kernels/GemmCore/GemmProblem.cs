namespace Switchyard.Tensors.Kernels.GemmCore;

/// <summary>
/// One strided GEMM, C[M×N] = op(A)·op(B) + Beta·C, on pinned memory. op(A)(i, p) is
/// A[i·Lda + p], or A[p·Lda + i] when TransA; op(B)(p, j) is B[p·Ldb + j], or B[j·Ldb + p] when TransB.
/// </summary>
internal unsafe struct GemmProblem
{
    public float* A;
    public nint Lda;
    public bool TransA;
    public float* B;
    public nint Ldb;
    public bool TransB;
    public float* C;
    public nint Ldc;
    public int M;
    public int N;
    public int K;
    public float Beta;
}
