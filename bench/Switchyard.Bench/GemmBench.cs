using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Bench;

/// <summary>
/// <c>gemm</c>: our Gemm.Multiply against OpenBLAS cblas_sgemm, same shapes, same thread count,
/// same process. Square NN products, and the MoE expert projections as a Linear layer runs
/// them (y = x·Wᵀ, W stored [out, in], so transB).
/// </summary>
internal static class GemmBench
{
    /// <summary>Runs every case, or with <c>--shape MxNxK [--transB] [--threads T]</c> just that one (for tuning).</summary>
    public static void Run(string[] args)
    {
        int at = Array.IndexOf(args, "--shape");
        if (at >= 0 && at + 1 < args.Length)
        {
            int[] d = args[at + 1].Split('x').Select(int.Parse).ToArray();
            int t = Array.IndexOf(args, "--threads");
            int threadCount = t >= 0 && t + 1 < args.Length ? int.Parse(args[t + 1]) : 2;
            Measure("custom", d[0], d[1], d[2], args.Contains("--transA"), args.Contains("--transB"), threadCount);
            return;
        }
        var shapes = new List<(string Label, int M, int N, int K, bool TransB)>
        {
            ("square", 512, 512, 512, false),
            ("square", 1024, 1024, 1024, false),
            ("square", 2048, 2048, 2048, false),
        };
        foreach (int tokens in new[] { 64, 256, 1024 })
        {
            shapes.Add(("moe_up", tokens, 2048, 512, true));   // 512 → 2048
            shapes.Add(("moe_down", tokens, 512, 2048, true)); // 2048 → 512
        }
        foreach (int threads in new[] { 1, 2 })
            foreach (var s in shapes)
                Measure(s.Label, s.M, s.N, s.K, transA: false, s.TransB, threads);
    }

    internal static void Measure(string label, int m, int n, int k, bool transA, bool transB, int threads)
    {
        var rng = new Rng(1);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        rng.FillUniform(a, -1, 1);
        rng.FillUniform(b, -1, 1);
        double flops = 2.0 * m * n * k;

        ParallelRunner.Threads = threads;
        double ours = Timing.MedianSeconds(() => Gemm.Multiply(a, b, c, m, n, k, transA, transB));
        double peak = Peak.PerCoreGflops * threads;
        var line = new JsonLine("gemm")
            .Add("shape", label).Add("m", m).Add("k", k).Add("n", n).Add("transA", transA).Add("transB", transB)
            .Add("threads", threads)
            .Add("simd", Simd.Best.ToString())
            .Add("gflops", flops / ours / 1e9, 1);
        if (OpenBlas.Available)
        {
            OpenBlas.Threads(threads);
            double theirs = Timing.MedianSeconds(() => OpenBlas.Multiply(a, b, c, m, n, k, transA, transB, 0f));
            Thread.Sleep(100); // let OpenBLAS's spinning workers go idle before our next measurement
            line.Add("openblas_gflops", flops / theirs / 1e9, 1)
                .Add("ratio_vs_openblas", theirs / ours, 3)
                .Add("openblas_core", OpenBlas.Core);
        }
        else
        {
            line.Add("openblas", "absent");
        }
        line.Add("peak_gflops", peak, 1).Add("peak_fraction", flops / ours / 1e9 / peak, 3).Print();
    }
}
