using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// Vectorized pieces the row ops share: a fast exp and row max, sum, exp-sum, scale and dot,
/// each at every <see cref="SimdWidth"/>. Results for one width are deterministic (fixed
/// summation order); different widths sum in different orders.
/// </summary>
/// <remarks>
/// Exp is our own rather than <c>Vector512.Exp</c>: in .NET 10 that returns 1.0000001 for
/// exp(0) and is about 1.3 ulp off at ordinary inputs, which makes a row of equal logits
/// produce probabilities that are not exactly equal. This one is the Cephes expf scheme
/// (2ⁿ·eʳ, |r| ≤ ln2/2, degree-5 polynomial) evaluated with FMA: at most 1.004 ulp from
/// Math.Exp in double over a dense sweep of [−104, 88.7] (subnormal results included), exact
/// at 0; tests bound it at 1.5 ulp. Inputs below −104 (−∞ included,
/// e.g. masked logits) give exactly 0, inputs above ~88.72 give +∞, NaN gives NaN.
/// </remarks>
internal static class RowSimd
{
    const float Log2E = 1.44269504088896341f;
    // ln2 split so that n·Ln2Hi is exact for the |n| ≤ 150 used here: r = x − n·ln2 loses nothing.
    const float Ln2Hi = 0.693145751953125f;
    const float Ln2Lo = 1.42860676533018704e-6f;
    // 1.5·2²³: adding it rounds x·log2(e) to an integer that sits in the low mantissa bits.
    const float Shifter = 12582912f;
    const int ShifterBits = 0x4B400000;
    // e^x rounds to 0 in float below ln(2⁻¹⁵⁰) ≈ −103.97; clamping there also keeps −∞ from making r NaN.
    const float ExpMin = -104f;
    // Above ln(FLT_MAX) ≈ 88.72 the result is +∞; clamping at 89 keeps n ≤ 128 so the scale stays representable.
    const float ExpMax = 89f;
    // Cephes expf: e^r ≈ 1 + r + r²·P(r) on |r| ≤ ln2/2.
    const float P0 = 5.0000001201E-1f, P1 = 1.6666665459E-1f, P2 = 4.1665795894E-2f,
        P3 = 8.3334519073E-3f, P4 = 1.3981999507E-3f, P5 = 1.9875691500E-4f;

    /// <summary>e^x with the vector algorithm, lane for lane identical to <see cref="Exp(Vector256{float})"/>. Needs hardware FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x)
    {
        if (x < ExpMin) x = ExpMin; // NaN compares false and stays NaN
        if (x > ExpMax) x = ExpMax;
        float z = MathF.FusedMultiplyAdd(x, Log2E, Shifter);
        float n = z - Shifter;
        int ni = BitConverter.SingleToInt32Bits(z) - ShifterBits;
        float r = MathF.FusedMultiplyAdd(n, -Ln2Hi, x);
        r = MathF.FusedMultiplyAdd(n, -Ln2Lo, r);
        float p = MathF.FusedMultiplyAdd(P5, r, P4);
        p = MathF.FusedMultiplyAdd(p, r, P3);
        p = MathF.FusedMultiplyAdd(p, r, P2);
        p = MathF.FusedMultiplyAdd(p, r, P1);
        p = MathF.FusedMultiplyAdd(p, r, P0);
        p = MathF.FusedMultiplyAdd(p, r * r, r) + 1f;
        // 2ⁿ in two halves: each stays a normal float for n in [−150, 128], and the final
        // product rounds once, so subnormal results are correctly rounded and 2¹²⁸ overflows to ∞.
        int h = ni >> 1;
        return p * BitConverter.Int32BitsToSingle((h + 127) << 23) * BitConverter.Int32BitsToSingle((ni - h + 127) << 23);
    }

    /// <summary>e^x per lane (see the class remarks for accuracy and special values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var min = Vector512.Create(ExpMin);
        var max = Vector512.Create(ExpMax);
        x = Vector512.ConditionalSelect(Vector512.LessThan(x, min), min, x);
        x = Vector512.ConditionalSelect(Vector512.GreaterThan(x, max), max, x);
        var shifter = Vector512.Create(Shifter);
        var z = Vector512.FusedMultiplyAdd(x, Vector512.Create(Log2E), shifter);
        var n = z - shifter;
        var ni = z.AsInt32() - Vector512.Create(ShifterBits);
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P5), r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P0));
        p = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        var h = Vector512.ShiftRightArithmetic(ni, 1);
        var bias = Vector512.Create(127);
        var s1 = Vector512.ShiftLeft(h + bias, 23).AsSingle();
        var s2 = Vector512.ShiftLeft(ni - h + bias, 23).AsSingle();
        return p * s1 * s2;
    }

    /// <summary>e^x per lane (see the class remarks for accuracy and special values).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var min = Vector256.Create(ExpMin);
        var max = Vector256.Create(ExpMax);
        x = Vector256.ConditionalSelect(Vector256.LessThan(x, min), min, x);
        x = Vector256.ConditionalSelect(Vector256.GreaterThan(x, max), max, x);
        var shifter = Vector256.Create(Shifter);
        var z = Vector256.FusedMultiplyAdd(x, Vector256.Create(Log2E), shifter);
        var n = z - shifter;
        var ni = z.AsInt32() - Vector256.Create(ShifterBits);
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P5), r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P0));
        p = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        var h = Vector256.ShiftRightArithmetic(ni, 1);
        var bias = Vector256.Create(127);
        var s1 = Vector256.ShiftLeft(h + bias, 23).AsSingle();
        var s2 = Vector256.ShiftLeft(ni - h + bias, 23).AsSingle();
        return p * s1 * s2;
    }

    /// <summary>
    /// Largest element (−∞ for an empty row). A NaN may or may not win, but any NaN still
    /// reaches the callers' results through the exp-sum, so rows with NaN give NaN.
    /// </summary>
    public static float Max(ReadOnlySpan<float> x, SimdWidth width)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        float m = float.NegativeInfinity;
        if (width == SimdWidth.V512 && n >= Vector512<float>.Count)
        {
            var acc = Vector512.LoadUnsafe(ref px);
            for (i = Vector512<float>.Count; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                acc = Vector512.MaxNative(acc, Vector512.LoadUnsafe(ref px, (nuint)i));
            m = MaxLanes(Vector256.MaxNative(acc.GetLower(), acc.GetUpper()));
        }
        else if (width != SimdWidth.Scalar && n >= Vector256<float>.Count)
        {
            var acc = Vector256.LoadUnsafe(ref px);
            for (i = Vector256<float>.Count; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                acc = Vector256.MaxNative(acc, Vector256.LoadUnsafe(ref px, (nuint)i));
            m = MaxLanes(acc);
        }
        for (; i < n; i++) m = MathF.Max(m, Unsafe.Add(ref px, i));
        return m;
    }

    static float MaxLanes(Vector256<float> v)
    {
        var q = Vector128.MaxNative(v.GetLower(), v.GetUpper());
        return MathF.Max(MathF.Max(q[0], q[1]), MathF.Max(q[2], q[3]));
    }

    /// <summary>Σ x[i].</summary>
    public static float Sum(ReadOnlySpan<float> x, SimdWidth width)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        float s = 0f;
        if (width == SimdWidth.V512)
        {
            var acc = Vector512<float>.Zero;
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                acc += Vector512.LoadUnsafe(ref px, (nuint)i);
            s = Vector512.Sum(acc);
        }
        else if (width == SimdWidth.V256)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                acc += Vector256.LoadUnsafe(ref px, (nuint)i);
            s = Vector256.Sum(acc);
        }
        for (; i < n; i++) s += Unsafe.Add(ref px, i);
        return s;
    }

    /// <summary>Σ a[i]·b[i]; the lengths must match (callers check).</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b, SimdWidth width)
    {
        ref float pa = ref MemoryMarshal.GetReference(a);
        ref float pb = ref MemoryMarshal.GetReference(b);
        int n = a.Length, i = 0;
        float s = 0f;
        if (width == SimdWidth.V512)
        {
            // Two accumulators hide the FMA latency on long rows.
            Vector512<float> acc0 = Vector512<float>.Zero, acc1 = Vector512<float>.Zero;
            for (; i <= n - 2 * Vector512<float>.Count; i += 2 * Vector512<float>.Count)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, (nuint)i), Vector512.LoadUnsafe(ref pb, (nuint)i), acc0);
                acc1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, (nuint)(i + 16)), Vector512.LoadUnsafe(ref pb, (nuint)(i + 16)), acc1);
            }
            if (i <= n - Vector512<float>.Count)
            {
                acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, (nuint)i), Vector512.LoadUnsafe(ref pb, (nuint)i), acc0);
                i += Vector512<float>.Count;
            }
            s = Vector512.Sum(acc0 + acc1);
        }
        else if (width == SimdWidth.V256)
        {
            Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
            for (; i <= n - 2 * Vector256<float>.Count; i += 2 * Vector256<float>.Count)
            {
                acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)i), Vector256.LoadUnsafe(ref pb, (nuint)i), acc0);
                acc1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)(i + 8)), Vector256.LoadUnsafe(ref pb, (nuint)(i + 8)), acc1);
            }
            if (i <= n - Vector256<float>.Count)
            {
                acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)i), Vector256.LoadUnsafe(ref pb, (nuint)i), acc0);
                i += Vector256<float>.Count;
            }
            s = Vector256.Sum(acc0 + acc1);
        }
        if (width == SimdWidth.Scalar)
            for (; i < n; i++) s += Unsafe.Add(ref pa, i) * Unsafe.Add(ref pb, i);
        else
            for (; i < n; i++) s = MathF.FusedMultiplyAdd(Unsafe.Add(ref pa, i), Unsafe.Add(ref pb, i), s);
        return s;
    }

    /// <summary>y[i] = e^(x[i] − shift); returns Σ y[i]. <paramref name="y"/> may be <paramref name="x"/> (same length; callers check).</summary>
    public static float ExpShiftStore(ReadOnlySpan<float> x, float shift, Span<float> y, SimdWidth width) =>
        ExpShift(x, shift, y, store: true, width);

    /// <summary>Σ e^(x[i] − shift), storing nothing.</summary>
    public static float ExpShiftSum(ReadOnlySpan<float> x, float shift, SimdWidth width) =>
        ExpShift(x, shift, default, store: false, width);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float ExpShift(ReadOnlySpan<float> x, float shift, Span<float> y, bool store, SimdWidth width)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (width == SimdWidth.Scalar)
        {
            float sum = 0f;
            for (; i < n; i++)
            {
                float e = MathF.Exp(Unsafe.Add(ref px, i) - shift);
                if (store) Unsafe.Add(ref py, i) = e;
                sum += e;
            }
            return sum;
        }
        float s = 0f;
        if (width == SimdWidth.V512)
        {
            var acc = Vector512<float>.Zero;
            var sh = Vector512.Create(shift);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var e = Exp(Vector512.LoadUnsafe(ref px, (nuint)i) - sh);
                if (store) e.StoreUnsafe(ref py, (nuint)i);
                acc += e;
            }
            s = Vector512.Sum(acc);
        }
        // The V256 step also serves as the V512 path's first tail step.
        var acc8 = Vector256<float>.Zero;
        var sh8 = Vector256.Create(shift);
        for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var e = Exp(Vector256.LoadUnsafe(ref px, (nuint)i) - sh8);
            if (store) e.StoreUnsafe(ref py, (nuint)i);
            acc8 += e;
        }
        s += Vector256.Sum(acc8);
        for (; i < n; i++)
        {
            float e = Exp(Unsafe.Add(ref px, i) - shift);
            if (store) Unsafe.Add(ref py, i) = e;
            s += e;
        }
        return s;
    }

    /// <summary>y[i] *= s.</summary>
    public static void Scale(Span<float> y, float s, SimdWidth width)
    {
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = y.Length, i = 0;
        if (width == SimdWidth.V512)
        {
            var v = Vector512.Create(s);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                (Vector512.LoadUnsafe(ref py, (nuint)i) * v).StoreUnsafe(ref py, (nuint)i);
        }
        if (width != SimdWidth.Scalar)
        {
            var v = Vector256.Create(s);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                (Vector256.LoadUnsafe(ref py, (nuint)i) * v).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref py, i) *= s;
    }

    /// <summary>y[i] += a·x[i] (plain add when a is exactly 1, so unweighted scatters add exactly).</summary>
    public static void AddScaled(ReadOnlySpan<float> x, float a, Span<float> y, SimdWidth width)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (a == 1f)
        {
            if (width == SimdWidth.V512)
                for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                    (Vector512.LoadUnsafe(ref py, (nuint)i) + Vector512.LoadUnsafe(ref px, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
            if (width != SimdWidth.Scalar)
                for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                    (Vector256.LoadUnsafe(ref py, (nuint)i) + Vector256.LoadUnsafe(ref px, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
            for (; i < n; i++) Unsafe.Add(ref py, i) += Unsafe.Add(ref px, i);
            return;
        }
        if (width == SimdWidth.V512)
        {
            var va = Vector512.Create(a);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref px, (nuint)i), va, Vector512.LoadUnsafe(ref py, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        }
        if (width != SimdWidth.Scalar)
        {
            var va = Vector256.Create(a);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref px, (nuint)i), va, Vector256.LoadUnsafe(ref py, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
            for (; i < n; i++) Unsafe.Add(ref py, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref px, i), a, Unsafe.Add(ref py, i));
            return;
        }
        for (; i < n; i++) Unsafe.Add(ref py, i) += a * Unsafe.Add(ref px, i);
    }
}
