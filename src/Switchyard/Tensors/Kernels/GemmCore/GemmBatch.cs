namespace Switchyard.Tensors.Kernels.GemmCore;

/// <summary>How a <see cref="GemmBatch"/> maps group g to a <see cref="GemmProblem"/>.</summary>
internal enum GemmBatchKind
{
    /// <summary>One plain GEMM (<see cref="GemmBatch.Single"/>).</summary>
    Single,
    /// <summary>Grouped forward: rows offsets[g]..offsets[g+1] of A (K wide) and C (N wide) times B_g.</summary>
    GroupedRows,
    /// <summary>Grouped weight gradient: dB_g = A_gᵀ·dC_g (or its transpose), reducing over the group's rows.</summary>
    GroupedReduce,
}

/// <summary>
/// A set of GEMMs that share N and are computed in one parallel call. Problems are derived on
/// the fly from the offsets, so describing a batch allocates nothing.
/// </summary>
internal unsafe struct GemmBatch
{
    public GemmBatchKind Kind;
    public GemmProblem Single;
    public float* A, B, C;
    public int* Offsets;
    public int Groups;
    public int N, K;
    public bool TransB;
    public float Beta;

    public readonly int Count => Kind == GemmBatchKind.Single ? 1 : Groups;

    /// <summary>Columns of C, the same for every problem in the batch.</summary>
    public readonly int Columns => Kind switch
    {
        GemmBatchKind.Single => Single.N,
        GemmBatchKind.GroupedReduce when TransB => K,
        _ => N,
    };

    public readonly GemmProblem Problem(int g)
    {
        if (Kind == GemmBatchKind.Single) return Single;
        int r0 = Offsets[g], rows = Offsets[g + 1] - r0;
        long weights = (long)K * N;
        if (Kind == GemmBatchKind.GroupedRows)
        {
            return new GemmProblem
            {
                A = A + (nint)r0 * K, Lda = K,
                B = B + (nint)(g * weights), Ldb = TransB ? K : N, TransB = TransB,
                C = C + (nint)r0 * N, Ldc = N,
                M = rows, N = N, K = K, Beta = Beta,
            };
        }
        // GroupedReduce: A is a (rows×K), B is dC (rows×N), C is dB (G × K×N, or N×K when TransB).
        float* x = A + (nint)r0 * K, dc = B + (nint)r0 * N, db = C + (nint)(g * weights);
        return TransB
            ? new GemmProblem { A = dc, Lda = N, TransA = true, B = x, Ldb = K, C = db, Ldc = K, M = N, N = K, K = rows, Beta = Beta }
            : new GemmProblem { A = x, Lda = K, TransA = true, B = dc, Ldb = N, C = db, Ldc = N, M = K, N = N, K = rows, Beta = Beta };
    }
}
