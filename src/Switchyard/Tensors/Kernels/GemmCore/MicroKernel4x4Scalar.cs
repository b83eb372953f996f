using System.Runtime.CompilerServices;

namespace Switchyard.Tensors.Kernels.GemmCore;

/// <summary>Portable micro-kernel: 4×4 scalar accumulators (16 fit the 16 xmm registers of any x64 or the 32 of arm64).</summary>
internal readonly unsafe struct MicroKernel4x4Scalar : IMicroKernel
{
    public static int MR => 4;
    public static int NR => 4;
    public static int KC => 256;
    public static int MC => 128;
    public static int NC => 512;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, float beta)
    {
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int p = 0; p < kc; p++)
        {
            float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
            c00 = MathF.FusedMultiplyAdd(a0, b0, c00); c01 = MathF.FusedMultiplyAdd(a0, b1, c01);
            c02 = MathF.FusedMultiplyAdd(a0, b2, c02); c03 = MathF.FusedMultiplyAdd(a0, b3, c03);
            c10 = MathF.FusedMultiplyAdd(a1, b0, c10); c11 = MathF.FusedMultiplyAdd(a1, b1, c11);
            c12 = MathF.FusedMultiplyAdd(a1, b2, c12); c13 = MathF.FusedMultiplyAdd(a1, b3, c13);
            c20 = MathF.FusedMultiplyAdd(a2, b0, c20); c21 = MathF.FusedMultiplyAdd(a2, b1, c21);
            c22 = MathF.FusedMultiplyAdd(a2, b2, c22); c23 = MathF.FusedMultiplyAdd(a2, b3, c23);
            c30 = MathF.FusedMultiplyAdd(a3, b0, c30); c31 = MathF.FusedMultiplyAdd(a3, b1, c31);
            c32 = MathF.FusedMultiplyAdd(a3, b2, c32); c33 = MathF.FusedMultiplyAdd(a3, b3, c33);
            a += 4;
            b += 4;
        }
        Row(c, beta, c00, c01, c02, c03);
        Row(c + ldc, beta, c10, c11, c12, c13);
        Row(c + 2 * ldc, beta, c20, c21, c22, c23);
        Row(c + 3 * ldc, beta, c30, c31, c32, c33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Row(float* c, float beta, float x0, float x1, float x2, float x3)
    {
        if (beta != 0f)
        {
            x0 = MathF.FusedMultiplyAdd(c[0], beta, x0); x1 = MathF.FusedMultiplyAdd(c[1], beta, x1);
            x2 = MathF.FusedMultiplyAdd(c[2], beta, x2); x3 = MathF.FusedMultiplyAdd(c[3], beta, x3);
        }
        c[0] = x0; c[1] = x1; c[2] = x2; c[3] = x3;
    }
}
