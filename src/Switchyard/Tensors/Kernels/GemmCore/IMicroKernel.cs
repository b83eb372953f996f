namespace Switchyard.Tensors.Kernels.GemmCore;

/// <summary>
/// An MR×NR register-blocked GEMM micro-kernel and the cache blocking that feeds it. The
/// driver is generic over this interface, so each kernel gets its own specialized copy of the
/// blocked loops with MR, NR, KC, MC and NC as JIT-time constants.
/// </summary>
internal unsafe interface IMicroKernel
{
    /// <summary>Rows of C per micro-tile (A elements broadcast per k step).</summary>
    static abstract int MR { get; }

    /// <summary>Columns of C per micro-tile (a whole number of vectors).</summary>
    static abstract int NR { get; }

    /// <summary>Depth of one packed block: a B micro-panel KC×NR should stay in L1.</summary>
    static abstract int KC { get; }

    /// <summary>Rows of one packed A block (MC×KC, kept in L2); a multiple of MR.</summary>
    static abstract int MC { get; }

    /// <summary>Columns of one packed B block (KC×NC); a multiple of NR.</summary>
    static abstract int NC { get; }

    /// <summary>
    /// C[MR×NR] = Σₚ a[p·MR + r]·b[p·NR + j] + beta·C over p &lt; kc (C not read when beta is 0).
    /// <paramref name="a"/> and <paramref name="b"/> are packed, 64-byte aligned panels.
    /// </summary>
    static abstract void Run(int kc, float* a, float* b, float* c, nint ldc, float beta);
}
