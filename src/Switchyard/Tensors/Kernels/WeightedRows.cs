using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>Weighted sums of rows, the P·V (and backward dV, dK) step of both attention kernels.</summary>
internal static class WeightedRows
{
    /// <summary>
    /// acc[0..d) += Σ_{j&lt;n} coeff[j·coeffStride]·v[j·stride + 0..d), the accumulator held in registers across all
    /// n rows: 128 columns (eight Vector512) at a time, then 64 with even and odd rows in separate
    /// registers (eight FMA chains either way), then single vectors and a scalar tail.
    /// </summary>
    public static unsafe void Accumulate(float* coeff, long coeffStride, float* v, long stride, int n, float* acc, int d, SimdWidth w)
    {
        int c = 0;
        if (w == SimdWidth.V512)
        {
            for (; c + 128 <= d; c += 128)
            {
                float* a = acc + c;
                var a0 = Vector512.Load(a); var a1 = Vector512.Load(a + 16); var a2 = Vector512.Load(a + 32); var a3 = Vector512.Load(a + 48);
                var a4 = Vector512.Load(a + 64); var a5 = Vector512.Load(a + 80); var a6 = Vector512.Load(a + 96); var a7 = Vector512.Load(a + 112);
                for (int j = 0; j < n; j++)
                {
                    var s = Vector512.Create(coeff[j * coeffStride]);
                    float* r = v + j * stride + c;
                    a0 = Vector512.FusedMultiplyAdd(s, Vector512.Load(r), a0);
                    a1 = Vector512.FusedMultiplyAdd(s, Vector512.Load(r + 16), a1);
                    a2 = Vector512.FusedMultiplyAdd(s, Vector512.Load(r + 32), a2);
                    a3 = Vector512.FusedMultiplyAdd(s, Vector512.Load(r + 48), a3);
                    a4 = Vector512.FusedMultiplyAdd(s, Vector512.Load(r + 64), a4);
                    a5 = Vector512.FusedMultiplyAdd(s, Vector512.Load(r + 80), a5);
                    a6 = Vector512.FusedMultiplyAdd(s, Vector512.Load(r + 96), a6);
                    a7 = Vector512.FusedMultiplyAdd(s, Vector512.Load(r + 112), a7);
                }
                a0.Store(a); a1.Store(a + 16); a2.Store(a + 32); a3.Store(a + 48);
                a4.Store(a + 64); a5.Store(a + 80); a6.Store(a + 96); a7.Store(a + 112);
            }
            for (; c + 64 <= d; c += 64)
            {
                float* a = acc + c;
                var a0 = Vector512.Load(a); var a1 = Vector512.Load(a + 16); var a2 = Vector512.Load(a + 32); var a3 = Vector512.Load(a + 48);
                Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
                int j = 0;
                for (; j + 2 <= n; j += 2)
                {
                    var s0 = Vector512.Create(coeff[j * coeffStride]);
                    var s1 = Vector512.Create(coeff[(j + 1) * coeffStride]);
                    float* r = v + j * stride + c, r1 = r + stride;
                    a0 = Vector512.FusedMultiplyAdd(s0, Vector512.Load(r), a0);
                    a1 = Vector512.FusedMultiplyAdd(s0, Vector512.Load(r + 16), a1);
                    a2 = Vector512.FusedMultiplyAdd(s0, Vector512.Load(r + 32), a2);
                    a3 = Vector512.FusedMultiplyAdd(s0, Vector512.Load(r + 48), a3);
                    b0 = Vector512.FusedMultiplyAdd(s1, Vector512.Load(r1), b0);
                    b1 = Vector512.FusedMultiplyAdd(s1, Vector512.Load(r1 + 16), b1);
                    b2 = Vector512.FusedMultiplyAdd(s1, Vector512.Load(r1 + 32), b2);
                    b3 = Vector512.FusedMultiplyAdd(s1, Vector512.Load(r1 + 48), b3);
                }
                if (j < n)
                {
                    var s0 = Vector512.Create(coeff[j * coeffStride]);
                    float* r = v + j * stride + c;
                    a0 = Vector512.FusedMultiplyAdd(s0, Vector512.Load(r), a0);
                    a1 = Vector512.FusedMultiplyAdd(s0, Vector512.Load(r + 16), a1);
                    a2 = Vector512.FusedMultiplyAdd(s0, Vector512.Load(r + 32), a2);
                    a3 = Vector512.FusedMultiplyAdd(s0, Vector512.Load(r + 48), a3);
                }
                (a0 + b0).Store(a); (a1 + b1).Store(a + 16); (a2 + b2).Store(a + 32); (a3 + b3).Store(a + 48);
            }
            for (; c + 16 <= d; c += 16)
            {
                var a0 = Vector512.Load(acc + c);
                for (int j = 0; j < n; j++)
                    a0 = Vector512.FusedMultiplyAdd(Vector512.Create(coeff[j * coeffStride]), Vector512.Load(v + j * stride + c), a0);
                a0.Store(acc + c);
            }
        }
        if (w != SimdWidth.Scalar)
        {
            for (; c + 32 <= d; c += 32)
            {
                float* a = acc + c;
                var a0 = Vector256.Load(a); var a1 = Vector256.Load(a + 8); var a2 = Vector256.Load(a + 16); var a3 = Vector256.Load(a + 24);
                for (int j = 0; j < n; j++)
                {
                    var s = Vector256.Create(coeff[j * coeffStride]);
                    float* r = v + j * stride + c;
                    a0 = Vector256.FusedMultiplyAdd(s, Vector256.Load(r), a0);
                    a1 = Vector256.FusedMultiplyAdd(s, Vector256.Load(r + 8), a1);
                    a2 = Vector256.FusedMultiplyAdd(s, Vector256.Load(r + 16), a2);
                    a3 = Vector256.FusedMultiplyAdd(s, Vector256.Load(r + 24), a3);
                }
                a0.Store(a); a1.Store(a + 8); a2.Store(a + 16); a3.Store(a + 24);
            }
            for (; c + 8 <= d; c += 8)
            {
                var a0 = Vector256.Load(acc + c);
                for (int j = 0; j < n; j++)
                    a0 = Vector256.FusedMultiplyAdd(Vector256.Create(coeff[j * coeffStride]), Vector256.Load(v + j * stride + c), a0);
                a0.Store(acc + c);
            }
        }
        for (; c < d; c++)
        {
            float a0 = acc[c];
            for (int j = 0; j < n; j++) a0 = MathF.FusedMultiplyAdd(coeff[j * coeffStride], v[j * stride + c], a0);
            acc[c] = a0;
        }
    }
}
