using System.Diagnostics;
using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Training;

/// <summary>
/// The GEMM peak MFU is measured against: the best FLOP/s of square float32
/// <see cref="Gemm.Multiply(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, bool, bool, float)"/>
/// calls (256³ and 512³, ~0.3 s each after ~0.3 s of warm-up so that tiered JIT has produced the
/// optimised kernel) at the run's thread count. Our own kernel, not the CPU's theoretical FMA
/// peak: MFU then says how close the whole step comes to the fastest thing the engine does.
/// </summary>
public static class GemmPeak
{
    /// <summary>Measures the peak FLOP/s with <paramref name="threads"/> threads.</summary>
    public static double Measure(int threads)
    {
        int saved = ParallelRunner.Threads;
        ParallelRunner.Threads = threads;
        try
        {
            Best(512, 0.3); // warm-up: tier-0 code would understate the peak
            return Math.Max(Best(256, 0.3), Best(512, 0.3));
        }
        finally { ParallelRunner.Threads = saved; }
    }

    static double Best(int n, double seconds)
    {
        var a = new float[n * n]; var b = new float[n * n]; var c = new float[n * n];
        var rng = new Rng(7);
        rng.FillUniform(a, -1, 1); rng.FillUniform(b, -1, 1);
        double best = 0;
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds)
        {
            long t0 = Stopwatch.GetTimestamp();
            Gemm.Multiply(a, b, c, n, n, n);
            double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            best = Math.Max(best, 2.0 * n * n * n / s);
        }
        return best;
    }
}
