using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

// Small vector primitives over headDim (dot, axpy, scale) and over a tile of scores (max,
// exp-and-sum). V512 falls through to one V256 step and then scalar, so odd head widths
// (8, 24, 40, ...) use the widest vectors that fit.
public static partial class CausalAttention
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe float Dot(float* a, float* b, int n, SimdWidth w)
    {
        int i = 0;
        float sum = 0f;
        if (w == SimdWidth.V512 && n >= 16)
        {
            var acc = Vector512.Multiply(Vector512.Load(a), Vector512.Load(b));
            for (i = 16; i <= n - 16; i += 16)
                acc = Vector512.FusedMultiplyAdd(Vector512.Load(a + i), Vector512.Load(b + i), acc);
            var half = acc.GetLower() + acc.GetUpper();
            if (i <= n - 8)
            {
                half = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), half);
                i += 8;
            }
            sum = Vector256.Sum(half);
        }
        else if (w != SimdWidth.Scalar && n >= 8)
        {
            var acc = Vector256.Multiply(Vector256.Load(a), Vector256.Load(b));
            for (i = 8; i <= n - 8; i += 8)
                acc = Vector256.FusedMultiplyAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc);
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++) sum = MathF.FusedMultiplyAdd(a[i], b[i], sum);
        return sum;
    }

    /// <summary>y += alpha·x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void Axpy(float alpha, float* x, float* y, int n, SimdWidth w)
    {
        int i = 0;
        if (w == SimdWidth.V512)
        {
            var a = Vector512.Create(alpha);
            for (; i <= n - 16; i += 16)
                Vector512.FusedMultiplyAdd(a, Vector512.Load(x + i), Vector512.Load(y + i)).Store(y + i);
        }
        if (w != SimdWidth.Scalar)
        {
            var a = Vector256.Create(alpha);
            for (; i <= n - 8; i += 8)
                Vector256.FusedMultiplyAdd(a, Vector256.Load(x + i), Vector256.Load(y + i)).Store(y + i);
        }
        for (; i < n; i++) y[i] = MathF.FusedMultiplyAdd(alpha, x[i], y[i]);
    }

    /// <summary>y = alpha·y.</summary>
    static unsafe void Scale(float alpha, float* y, int n, SimdWidth w)
    {
        int i = 0;
        if (w == SimdWidth.V512)
        {
            var a = Vector512.Create(alpha);
            for (; i <= n - 16; i += 16) (a * Vector512.Load(y + i)).Store(y + i);
        }
        if (w != SimdWidth.Scalar)
        {
            var a = Vector256.Create(alpha);
            for (; i <= n - 8; i += 8) (a * Vector256.Load(y + i)).Store(y + i);
        }
        for (; i < n; i++) y[i] *= alpha;
    }

    /// <summary>y += x.</summary>
    static unsafe void Add(float* x, float* y, int n, SimdWidth w)
    {
        int i = 0;
        if (w == SimdWidth.V512)
            for (; i <= n - 16; i += 16) (Vector512.Load(x + i) + Vector512.Load(y + i)).Store(y + i);
        if (w != SimdWidth.Scalar)
            for (; i <= n - 8; i += 8) (Vector256.Load(x + i) + Vector256.Load(y + i)).Store(y + i);
        for (; i < n; i++) y[i] += x[i];
    }

    /// <summary>max of x[0..n), n ≥ 1. NaN propagates so a poisoned score is not hidden.</summary>
    static unsafe float Max(float* x, int n, SimdWidth w)
    {
        int i = 0;
        float max = float.NegativeInfinity;
        if (w == SimdWidth.V512 && n >= 16)
        {
            var acc = Vector512.Load(x);
            for (i = 16; i <= n - 16; i += 16) acc = Vector512.Max(acc, Vector512.Load(x + i));
            var half = Vector256.Max(acc.GetLower(), acc.GetUpper());
            max = HorizontalMax(half);
        }
        else if (w != SimdWidth.Scalar && n >= 8)
        {
            var acc = Vector256.Load(x);
            for (i = 8; i <= n - 8; i += 8) acc = Vector256.Max(acc, Vector256.Load(x + i));
            max = HorizontalMax(acc);
        }
        for (; i < n; i++) max = MathF.Max(max, x[i]);
        return max;
    }

    static float HorizontalMax(Vector256<float> v)
    {
        var m = Vector128.Max(v.GetLower(), v.GetUpper());
        float r = MathF.Max(m.GetElement(0), m.GetElement(1));
        return MathF.Max(r, MathF.Max(m.GetElement(2), m.GetElement(3)));
    }

    /// <summary>x[j] = exp(x[j] − shift) for j &lt; n; returns Σ x[j] (the new values).</summary>
    static unsafe float ExpShiftSum(float* x, int n, float shift, SimdWidth w)
    {
        int i = 0;
        float sum = 0f;
        if (w == SimdWidth.V512 && n >= 16)
        {
            var s = Vector512.Create(shift);
            var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var e = Exp(Vector512.Load(x + i) - s);
                e.Store(x + i);
                acc += e;
            }
            sum = Vector512.Sum(acc);
        }
        if (w != SimdWidth.Scalar && i <= n - 8)
        {
            var s = Vector256.Create(shift);
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var e = Exp(Vector256.Load(x + i) - s);
                e.Store(x + i);
                acc += e;
            }
            sum += Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            float e = Exp(x[i] - shift);
            x[i] = e;
            sum += e;
        }
        return sum;
    }

    // exp by range reduction (Cephes expf): x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6
    // polynomial (≈1 ulp), 2ⁿ built in the exponent bits. Private to attention for now (Softmax
    // has its own; the lead dedupes). Below ExpLow the result is exactly 0 (masked or negligible
    // scores); above ExpHigh it saturates at e^88 — attention only exponentiates s − max ≤ 0.
    const float ExpLow = -87f, ExpHigh = 88f;
    const float Log2E = 1.44269504088896341f;
    const float Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    const float RoundMagic = 12582912f; // 1.5·2²³: adding it rounds to an integer in the low mantissa bits
    const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
        P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Exp(Vector512<float> x)
    {
        var tooSmall = Vector512.LessThan(x, Vector512.Create(ExpLow));
        var c = Vector512.Min(x, Vector512.Create(ExpHigh));
        var t = Vector512.FusedMultiplyAdd(c, Vector512.Create(Log2E), Vector512.Create(RoundMagic));
        var n = t - Vector512.Create(RoundMagic);
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), c);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P0), r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        var y = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        // t's low mantissa bits hold n (two's complement); shifting past the exponent drops the magic.
        var pow2 = Vector512.ShiftLeft(t.AsInt32() + Vector512.Create(127), 23).AsSingle();
        return Vector512.ConditionalSelect(tooSmall, Vector512<float>.Zero, y * pow2);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Exp(Vector256<float> x)
    {
        var tooSmall = Vector256.LessThan(x, Vector256.Create(ExpLow));
        var c = Vector256.Min(x, Vector256.Create(ExpHigh));
        var t = Vector256.FusedMultiplyAdd(c, Vector256.Create(Log2E), Vector256.Create(RoundMagic));
        var n = t - Vector256.Create(RoundMagic);
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), c);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        var y = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        var pow2 = Vector256.ShiftLeft(t.AsInt32() + Vector256.Create(127), 23).AsSingle();
        return Vector256.ConditionalSelect(tooSmall, Vector256<float>.Zero, y * pow2);
    }

    /// <summary>Scalar twin of the vector exp (same polynomial), used for tails and rescale factors.</summary>
    internal static float Exp(float x)
    {
        if (x < ExpLow) return 0f;
        if (float.IsNaN(x)) return x;
        float c = MathF.Min(x, ExpHigh);
        float t = MathF.FusedMultiplyAdd(c, Log2E, RoundMagic);
        float n = t - RoundMagic;
        float r = MathF.FusedMultiplyAdd(n, -Ln2Hi, c);
        r = MathF.FusedMultiplyAdd(n, -Ln2Lo, r);
        float p = MathF.FusedMultiplyAdd(P0, r, P1);
        p = MathF.FusedMultiplyAdd(p, r, P2);
        p = MathF.FusedMultiplyAdd(p, r, P3);
        p = MathF.FusedMultiplyAdd(p, r, P4);
        p = MathF.FusedMultiplyAdd(p, r, P5);
        float y = MathF.FusedMultiplyAdd(p, r * r, r) + 1f;
        float pow2 = BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits(t) + 127) << 23);
        return y * pow2;
    }
}
