using System.Diagnostics;
using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Training;

/// <summary>
/// The GEMM peak MFU is measured against: the best FLOP/s of a 512×512×512 float32
/// <see cref="Gemm.Multiply(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, bool, bool, float)"/>
/// over ~0.3 s at the run's thread count. Our own kernel, not the CPU's theoretical FMA peak:
/// MFU then says how close the whole step comes to the fastest thing the engine does.
/// </summary>
public static class GemmPeak
{
    /// <summary>Measures the peak FLOP/s with <paramref name="threads"/> threads.</summary>
    public static double Measure(int threads)
    {
        const int n = 512;
        var a = new float[n * n]; var b = new float[n * n]; var c = new float[n * n];
        var rng = new Rng(7);
        rng.FillUniform(a, -1, 1); rng.FillUniform(b, -1, 1);
        int saved = ParallelRunner.Threads;
        ParallelRunner.Threads = threads;
        try
        {
            Gemm.Multiply(a, b, c, n, n, n); // warm up (JIT, packing buffers)
            double best = 0;
            var total = Stopwatch.StartNew();
            while (total.Elapsed.TotalSeconds < 0.3)
            {
                long t0 = Stopwatch.GetTimestamp();
                Gemm.Multiply(a, b, c, n, n, n);
                double s = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                best = Math.Max(best, 2.0 * n * n * n / s);
            }
            return best;
        }
        finally { ParallelRunner.Threads = saved; }
    }
}
