using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels.GemmCore;

/// <summary>
/// AVX2 micro-kernel: 6 rows × 16 columns (2 ymm) = 12 accumulators, the classic Haswell
/// shape: with B (2) and one broadcast it uses 15 of the 16 ymm registers AVX2 machines have.
/// </summary>
internal readonly unsafe struct MicroKernel6x16V256 : IMicroKernel
{
    public static int MR => 6;
    public static int NR => 16;
    public static int KC => 256;   // B micro-panel 16 KiB in L1
    public static int MC => 144;   // A block 144 KiB in L2
    public static int NC => 1024;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.LoadAligned(b), b1 = Vector256.LoadAligned(b + 8);
            Vector256<float> av = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(av, b0, c00); c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(av, b0, c10); c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(av, b0, c20); c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(av, b0, c30); c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(av, b0, c40); c41 = Vector256.FusedMultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(av, b0, c50); c51 = Vector256.FusedMultiplyAdd(av, b1, c51);
            a += 6;
            b += 16;
        }
        var bv = Vector256.Create(beta);
        bool read = beta != 0f;
        Store(c00, c01, c, bv, read); Store(c10, c11, c + ldc, bv, read); Store(c20, c21, c + 2 * ldc, bv, read);
        Store(c30, c31, c + 3 * ldc, bv, read); Store(c40, c41, c + 4 * ldc, bv, read); Store(c50, c51, c + 5 * ldc, bv, read);
    }

    // beta = 0 must not read C (it may hold NaN garbage); otherwise C = beta·C + acc as one FMA.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(Vector256<float> x0, Vector256<float> x1, float* c, Vector256<float> beta, bool read)
    {
        if (read)
        {
            x0 = Vector256.FusedMultiplyAdd(Vector256.Load(c), beta, x0);
            x1 = Vector256.FusedMultiplyAdd(Vector256.Load(c + 8), beta, x1);
        }
        Vector256.Store(x0, c);
        Vector256.Store(x1, c + 8);
    }
}
