using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Switchyard.Tensors.Kernels;

// The two inner loops of a block: scores = q·Kᵀ for the group's heads, and acc += p·V. Decode
// has one query row per head, so there is no tile to amortize a transposed copy of K over (as
// CausalAttention does); scores are dot products, several keys at a time, with one combined
// horizontal reduction per four keys.
public static partial class CachedAttention
{
    /// <summary>scores[h·BlockKeys + j] = qs[h]·k[j·stride] for h &lt; G, j &lt; n.</summary>
    static unsafe void Scores(float* qs, float* k, long stride, int n, int G, int d, float* scores, SimdWidth w)
    {
        if (w == SimdWidth.Scalar)
        {
            for (int h = 0; h < G; h++)
            for (int j = 0; j < n; j++)
            {
                float* q = qs + h * d, kj = k + j * stride;
                float sum = 0f;
                for (int c = 0; c < d; c++) sum = MathF.FusedMultiplyAdd(q[c], kj[c], sum);
                scores[h * BlockKeys + j] = sum;
            }
            return;
        }
        int h0 = 0;
        // Two heads × four keys: eight FMA chains, and each K load serves both heads.
        for (; h0 + 2 <= G; h0 += 2)
        {
            float* q0 = qs + h0 * d, q1 = q0 + d;
            float* s0 = scores + h0 * BlockKeys, s1 = s0 + BlockKeys;
            int j = 0;
            for (; j + 4 <= n; j += 4)
            {
                float* kj = k + j * stride;
                if (w == SimdWidth.V512) Dots2x4V512(q0, q1, kj, stride, d, s0 + j, s1 + j);
                else Dots2x4V256(q0, q1, kj, stride, d, s0 + j, s1 + j);
            }
            for (; j < n; j++)
            {
                s0[j] = VectorMath.Dot(new ReadOnlySpan<float>(q0, d), new ReadOnlySpan<float>(k + j * stride, d), w);
                s1[j] = VectorMath.Dot(new ReadOnlySpan<float>(q1, d), new ReadOnlySpan<float>(k + j * stride, d), w);
            }
        }
        // A lone head: eight keys at a time keeps eight chains (the pair kernel with the same
        // query twice, against keys j..j+3 and j+4..j+7).
        for (; h0 < G; h0++)
        {
            float* q = qs + h0 * d, sc = scores + h0 * BlockKeys;
            int j = 0;
            for (; j + 8 <= n; j += 8)
            {
                float* kj = k + j * stride;
                if (w == SimdWidth.V512) Dots2x4V512(q, q, kj, stride, d, sc + j, null, kj + 4 * stride);
                else Dots2x4V256(q, q, kj, stride, d, sc + j, null, kj + 4 * stride);
            }
            for (; j < n; j++)
                sc[j] = VectorMath.Dot(new ReadOnlySpan<float>(q, d), new ReadOnlySpan<float>(k + j * stride, d), w);
        }
    }

    /// <summary>
    /// Four keys (rows k, k+stride, …) against two query rows: out0[0..4) = q0·k, out1[0..4) = q1·k.
    /// With <paramref name="out1"/> null, q1 runs against the four keys at <paramref name="k1"/> and its
    /// results go to out0[4..8) (one head, eight keys).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void Dots2x4V512(float* q0, float* q1, float* k, long stride, int d, float* out0, float* out1, float* k1 = null)
    {
        float* kb = k1 == null ? k : k1;
        float* k0r0 = k, k0r1 = k + stride, k0r2 = k + 2 * stride, k0r3 = k + 3 * stride;
        float* k1r0 = kb, k1r1 = kb + stride, k1r2 = kb + 2 * stride, k1r3 = kb + 3 * stride;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        int c = 0;
        for (; c + 16 <= d; c += 16)
        {
            var x = Vector512.Load(q0 + c);
            var y = Vector512.Load(q1 + c);
            if (k1 == null)
            {
                var r0 = Vector512.Load(k0r0 + c); var r1 = Vector512.Load(k0r1 + c);
                var r2 = Vector512.Load(k0r2 + c); var r3 = Vector512.Load(k0r3 + c);
                a0 = Vector512.FusedMultiplyAdd(x, r0, a0); b0 = Vector512.FusedMultiplyAdd(y, r0, b0);
                a1 = Vector512.FusedMultiplyAdd(x, r1, a1); b1 = Vector512.FusedMultiplyAdd(y, r1, b1);
                a2 = Vector512.FusedMultiplyAdd(x, r2, a2); b2 = Vector512.FusedMultiplyAdd(y, r2, b2);
                a3 = Vector512.FusedMultiplyAdd(x, r3, a3); b3 = Vector512.FusedMultiplyAdd(y, r3, b3);
            }
            else
            {
                a0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k0r0 + c), a0);
                a1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k0r1 + c), a1);
                a2 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k0r2 + c), a2);
                a3 = Vector512.FusedMultiplyAdd(x, Vector512.Load(k0r3 + c), a3);
                b0 = Vector512.FusedMultiplyAdd(y, Vector512.Load(k1r0 + c), b0);
                b1 = Vector512.FusedMultiplyAdd(y, Vector512.Load(k1r1 + c), b1);
                b2 = Vector512.FusedMultiplyAdd(y, Vector512.Load(k1r2 + c), b2);
                b3 = Vector512.FusedMultiplyAdd(y, Vector512.Load(k1r3 + c), b3);
            }
        }
        var ra = Reduce4(Fold(a0), Fold(a1), Fold(a2), Fold(a3));
        var rb = Reduce4(Fold(b0), Fold(b1), Fold(b2), Fold(b3));
        if (c < d)
        {
            // Head widths that are not a multiple of 16: the rest per key, in a fixed order.
            ra += Vector128.Create(Tail(q0, k0r0, c, d), Tail(q0, k0r1, c, d), Tail(q0, k0r2, c, d), Tail(q0, k0r3, c, d));
            rb += Vector128.Create(Tail(q1, k1r0, c, d), Tail(q1, k1r1, c, d), Tail(q1, k1r2, c, d), Tail(q1, k1r3, c, d));
        }
        ra.Store(out0);
        rb.Store(out1 == null ? out0 + 4 : out1);
    }

    /// <summary>The V256 twin of <see cref="Dots2x4V512"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void Dots2x4V256(float* q0, float* q1, float* k, long stride, int d, float* out0, float* out1, float* k1 = null)
    {
        float* kb = k1 == null ? k : k1;
        float* k0r0 = k, k0r1 = k + stride, k0r2 = k + 2 * stride, k0r3 = k + 3 * stride;
        float* k1r0 = kb, k1r1 = kb + stride, k1r2 = kb + 2 * stride, k1r3 = kb + 3 * stride;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
        int c = 0;
        for (; c + 8 <= d; c += 8)
        {
            var x = Vector256.Load(q0 + c);
            var y = Vector256.Load(q1 + c);
            a0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(k0r0 + c), a0);
            a1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(k0r1 + c), a1);
            a2 = Vector256.FusedMultiplyAdd(x, Vector256.Load(k0r2 + c), a2);
            a3 = Vector256.FusedMultiplyAdd(x, Vector256.Load(k0r3 + c), a3);
            b0 = Vector256.FusedMultiplyAdd(y, Vector256.Load(k1r0 + c), b0);
            b1 = Vector256.FusedMultiplyAdd(y, Vector256.Load(k1r1 + c), b1);
            b2 = Vector256.FusedMultiplyAdd(y, Vector256.Load(k1r2 + c), b2);
            b3 = Vector256.FusedMultiplyAdd(y, Vector256.Load(k1r3 + c), b3);
        }
        var ra = Reduce4(Fold(a0), Fold(a1), Fold(a2), Fold(a3));
        var rb = Reduce4(Fold(b0), Fold(b1), Fold(b2), Fold(b3));
        if (c < d)
        {
            ra += Vector128.Create(Tail(q0, k0r0, c, d), Tail(q0, k0r1, c, d), Tail(q0, k0r2, c, d), Tail(q0, k0r3, c, d));
            rb += Vector128.Create(Tail(q1, k1r0, c, d), Tail(q1, k1r1, c, d), Tail(q1, k1r2, c, d), Tail(q1, k1r3, c, d));
        }
        ra.Store(out0);
        rb.Store(out1 == null ? out0 + 4 : out1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<float> Fold(Vector512<float> v) => Fold(v.GetLower() + v.GetUpper());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<float> Fold(Vector256<float> v) => v.GetLower() + v.GetUpper();

    /// <summary>[Σ a, Σ b, Σ c, Σ d] of four 4-lane partial sums. The vector widths run only on x86 (they need FMA or AVX-512F), so SSE3 is there.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector128<float> Reduce4(Vector128<float> a, Vector128<float> b, Vector128<float> c, Vector128<float> d) =>
        Sse3.HorizontalAdd(Sse3.HorizontalAdd(a, b), Sse3.HorizontalAdd(c, d));

    static unsafe float Tail(float* q, float* k, int c, int d)
    {
        float s = 0f;
        for (; c < d; c++) s = MathF.FusedMultiplyAdd(q[c], k[c], s);
        return s;
    }

}
