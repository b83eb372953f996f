using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Switchyard.Tensors;

namespace Switchyard.Bench;

/// <summary>
/// The machine's FP32 peak, measured rather than assumed: one thread runs a long loop of
/// independent FMAs at the detected SIMD width (24 accumulators, more than latency × pipes
/// needs, no memory traffic), which runs at exactly the core's FMA throughput × its current
/// clock. Peak for t threads = t × that. On Zen 5 (2 FMA pipes × 16 lanes × 2 flops = 64
/// FLOP/cycle) this equals 64 × measured GHz; printing it beside each result shows how close a
/// kernel gets to what the silicon can do right now, turbo and thermal state included.
/// </summary>
internal static class Peak
{
    static double? _perCore;
    static float Sink;

    /// <summary>Measured GFLOP/s of one core (best of a few runs: noise only slows it down).</summary>
    public static double PerCoreGflops => _perCore ??= Measure();

    static double Measure()
    {
        if (Simd.Best == SimdWidth.Scalar) return double.NaN; // no vector FMA to time
        double best = 0;
        for (int run = 0; run < 5; run++)
        {
            const long iterations = 20_000_000;
            long t0 = Stopwatch.GetTimestamp();
            double c0 = CpuTime.Enabled ? CpuTime.ThreadSeconds() : 0;
            float sink = 0;
            int lanes = Simd.Best switch
            {
                SimdWidth.V512 => Fma512(iterations, out sink),
                SimdWidth.V256 => Fma256(iterations, out sink),
                _ => 1,
            };
            Sink += sink;
            double seconds = CpuTime.Enabled ? CpuTime.ThreadSeconds() - c0 : Stopwatch.GetElapsedTime(t0).TotalSeconds;
            double flops = (double)iterations * 24 * lanes * 2;
            best = Math.Max(best, flops / seconds / 1e9);
        }
        return best;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static int Fma512(long iterations, out float sink)
    {
        var x = Vector512.Create(0.999999f);
        var y = Vector512.Create(1e-7f);
        Vector512<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        Vector512<float> b0 = x, b1 = x, b2 = x, b3 = x, b4 = x, b5 = x, b6 = x, b7 = x, b8 = x, b9 = x, b10 = x, b11 = x;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, x, y); a1 = Vector512.FusedMultiplyAdd(a1, x, y);
            a2 = Vector512.FusedMultiplyAdd(a2, x, y); a3 = Vector512.FusedMultiplyAdd(a3, x, y);
            a4 = Vector512.FusedMultiplyAdd(a4, x, y); a5 = Vector512.FusedMultiplyAdd(a5, x, y);
            a6 = Vector512.FusedMultiplyAdd(a6, x, y); a7 = Vector512.FusedMultiplyAdd(a7, x, y);
            a8 = Vector512.FusedMultiplyAdd(a8, x, y); a9 = Vector512.FusedMultiplyAdd(a9, x, y);
            a10 = Vector512.FusedMultiplyAdd(a10, x, y); a11 = Vector512.FusedMultiplyAdd(a11, x, y);
            b0 = Vector512.FusedMultiplyAdd(b0, x, y); b1 = Vector512.FusedMultiplyAdd(b1, x, y);
            b2 = Vector512.FusedMultiplyAdd(b2, x, y); b3 = Vector512.FusedMultiplyAdd(b3, x, y);
            b4 = Vector512.FusedMultiplyAdd(b4, x, y); b5 = Vector512.FusedMultiplyAdd(b5, x, y);
            b6 = Vector512.FusedMultiplyAdd(b6, x, y); b7 = Vector512.FusedMultiplyAdd(b7, x, y);
            b8 = Vector512.FusedMultiplyAdd(b8, x, y); b9 = Vector512.FusedMultiplyAdd(b9, x, y);
            b10 = Vector512.FusedMultiplyAdd(b10, x, y); b11 = Vector512.FusedMultiplyAdd(b11, x, y);
        }
        var sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + b0 + b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8 + b9 + b10 + b11;
        sink = sum.ToScalar(); // a result the caller uses keeps the loop alive
        return Vector512<float>.Count;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static int Fma256(long iterations, out float sink)
    {
        var x = Vector256.Create(0.999999f);
        var y = Vector256.Create(1e-7f);
        Vector256<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        Vector256<float> b0 = x, b1 = x, b2 = x, b3 = x, b4 = x, b5 = x, b6 = x, b7 = x, b8 = x, b9 = x, b10 = x, b11 = x;
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, x, y); a1 = Vector256.FusedMultiplyAdd(a1, x, y);
            a2 = Vector256.FusedMultiplyAdd(a2, x, y); a3 = Vector256.FusedMultiplyAdd(a3, x, y);
            a4 = Vector256.FusedMultiplyAdd(a4, x, y); a5 = Vector256.FusedMultiplyAdd(a5, x, y);
            a6 = Vector256.FusedMultiplyAdd(a6, x, y); a7 = Vector256.FusedMultiplyAdd(a7, x, y);
            a8 = Vector256.FusedMultiplyAdd(a8, x, y); a9 = Vector256.FusedMultiplyAdd(a9, x, y);
            a10 = Vector256.FusedMultiplyAdd(a10, x, y); a11 = Vector256.FusedMultiplyAdd(a11, x, y);
            b0 = Vector256.FusedMultiplyAdd(b0, x, y); b1 = Vector256.FusedMultiplyAdd(b1, x, y);
            b2 = Vector256.FusedMultiplyAdd(b2, x, y); b3 = Vector256.FusedMultiplyAdd(b3, x, y);
            b4 = Vector256.FusedMultiplyAdd(b4, x, y); b5 = Vector256.FusedMultiplyAdd(b5, x, y);
            b6 = Vector256.FusedMultiplyAdd(b6, x, y); b7 = Vector256.FusedMultiplyAdd(b7, x, y);
            b8 = Vector256.FusedMultiplyAdd(b8, x, y); b9 = Vector256.FusedMultiplyAdd(b9, x, y);
            b10 = Vector256.FusedMultiplyAdd(b10, x, y); b11 = Vector256.FusedMultiplyAdd(b11, x, y);
        }
        var sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + b0 + b1 + b2 + b3 + b4 + b5 + b6 + b7 + b8 + b9 + b10 + b11;
        sink = sum.ToScalar();
        return Vector256<float>.Count;
    }
}
