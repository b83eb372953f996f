using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Switchyard.Tensors.Kernels.GemmCore;

/// <summary>
/// AVX-512 micro-kernel: 8 rows × 32 columns (2 zmm) = 16 accumulators. Per k step: 2 vector
/// loads of packed B, 8 broadcasts of packed A, 16 FMAs. 16 independent accumulators cover
/// the FMA latency × pipes (4 cycles × 2) twice over, and MR = 8 divides the token counts
/// MoE experts see most (64, 256, 1024) so edge tiles are rare.
/// </summary>
internal readonly unsafe struct MicroKernel8x32V512 : IMicroKernel
{
    public static int MR => 8;
    public static int NR => 32;
    // B micro-panel KC×NR×4 B = 32 KiB stays in L1 (48 KiB on Zen 5) while A streams from L2;
    // on a 32 KiB L1 (Zen 4) KC = 256 still measured faster than 128 (fewer C updates).
    public static int KC => 256;
    // A block MC×KC×4 B = 192 KiB: a fifth of the 1 MiB L2, leaving room for B panels passing through.
    public static int MC => 192;
    // B block KC×NC×4 B = 1 MiB per thread in L3 (32 MiB shared).
    public static int NC => 1024;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, float beta)
    {
        // The C tile (8 rows, 2 cache lines each, rows far apart) is needed only after the
        // K loop: start fetching it now so the final update does not stall on L2/L3.
        for (int r = 0; r < 8; r++)
        {
            Sse.Prefetch0(c + r * ldc);
            Sse.Prefetch0(c + r * ldc + 16);
        }
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.LoadAligned(b), b1 = Vector512.LoadAligned(b + 16);
            Vector512<float> av = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(av, b0, c00); c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(av, b0, c10); c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(av, b0, c20); c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(av, b0, c30); c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(av, b0, c40); c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(av, b0, c50); c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
            av = Vector512.Create(a[6]);
            c60 = Vector512.FusedMultiplyAdd(av, b0, c60); c61 = Vector512.FusedMultiplyAdd(av, b1, c61);
            av = Vector512.Create(a[7]);
            c70 = Vector512.FusedMultiplyAdd(av, b0, c70); c71 = Vector512.FusedMultiplyAdd(av, b1, c71);
            a += 8;
            b += 32;
        }
        if (beta == 0f)
        {
            Store(c00, c01, c); Store(c10, c11, c + ldc); Store(c20, c21, c + 2 * ldc); Store(c30, c31, c + 3 * ldc);
            Store(c40, c41, c + 4 * ldc); Store(c50, c51, c + 5 * ldc); Store(c60, c61, c + 6 * ldc); Store(c70, c71, c + 7 * ldc);
        }
        else
        {
            var bv = Vector512.Create(beta);
            Update(c00, c01, c, bv); Update(c10, c11, c + ldc, bv); Update(c20, c21, c + 2 * ldc, bv); Update(c30, c31, c + 3 * ldc, bv);
            Update(c40, c41, c + 4 * ldc, bv); Update(c50, c51, c + 5 * ldc, bv); Update(c60, c61, c + 6 * ldc, bv); Update(c70, c71, c + 7 * ldc, bv);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(Vector512<float> x0, Vector512<float> x1, float* c)
    {
        Vector512.Store(x0, c);
        Vector512.Store(x1, c + 16);
    }

    // C = beta·C + acc as one FMA: the scalar edge path rounds identically (MathF.FusedMultiplyAdd).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Update(Vector512<float> x0, Vector512<float> x1, float* c, Vector512<float> beta)
    {
        Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(c), beta, x0), c);
        Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Load(c + 16), beta, x1), c + 16);
    }
}
