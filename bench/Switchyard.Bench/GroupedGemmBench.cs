using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Bench;

/// <summary>
/// <c>grouped</c>: GroupedGemm over 8 experts with uneven row counts (as a skewed router
/// produces) against one plain GEMM with the same total rows, hence the same FLOPs. The
/// ratio is single-GEMM time / grouped time: 1 means grouping costs nothing, the target is ≥ 0.9.
/// OpenBLAS runs the same groups as a loop of cblas_sgemm calls.
/// </summary>
internal static class GroupedGemmBench
{
    // Share of the routed rows each expert gets: skewed, one nearly idle expert.
    static readonly double[] Shares = [0.26, 0.04, 0.15, 0.09, 0.19, 0.01, 0.14, 0.12];

    public static void Run(string[] args)
    {
        foreach (int threads in new[] { 1, 2 })
        {
            foreach (int rows in new[] { 512, 2048 })
            {
                Forward(rows, 2048, 512, threads);   // up/gate projection, 512 → 2048
                Forward(rows, 512, 2048, threads);   // down projection, 2048 → 512
                WeightGradient(rows, 2048, 512, threads);
            }
        }
    }

    static int[] Offsets(int rows)
    {
        var offsets = new int[Shares.Length + 1];
        for (int g = 0; g < Shares.Length; g++)
            offsets[g + 1] = g == Shares.Length - 1 ? rows : offsets[g] + (int)Math.Round(Shares[g] * rows);
        return offsets;
    }

    static unsafe void Forward(int rows, int n, int k, int threads)
    {
        int[] offsets = Offsets(rows);
        int groups = offsets.Length - 1;
        var rng = new Rng(2);
        float[] a = new float[rows * k], b = new float[groups * n * k], c = new float[rows * n];
        rng.FillUniform(a, -1, 1);
        rng.FillUniform(b, -1, 1);
        double flops = 2.0 * rows * n * k;
        ParallelRunner.Threads = threads;
        double grouped = Timing.MedianSeconds(() => GroupedGemm.Multiply(a, b, c, offsets, n, k, transB: true));
        double single = Timing.MedianSeconds(() => Gemm.Multiply(a, b.AsSpan(0, n * k), c, rows, n, k, transB: true));
        var line = new JsonLine("grouped_gemm")
            .Add("op", "forward").Add("experts", groups).Add("rows", rows).Add("k", k).Add("n", n).Add("transB", true)
            .Add("threads", threads)
            .Add("gflops", flops / grouped / 1e9, 1)
            .Add("single_gemm_gflops", flops / single / 1e9, 1)
            .Add("ratio_vs_single_gemm", single / grouped, 3);
        if (OpenBlas.Available)
        {
            OpenBlas.Threads(threads);
            double theirs = Timing.MedianSeconds(() =>
            {
                fixed (float* pa = a, pb = b, pc = c)
                {
                    for (int g = 0; g < groups; g++)
                    {
                        int r0 = offsets[g], m = offsets[g + 1] - r0;
                        if (m > 0) OpenBlas.Multiply(pa + r0 * k, pb + (long)g * n * k, pc + r0 * n, m, n, k, false, true, 0f);
                    }
                }
            });
            Thread.Sleep(100);
            line.Add("openblas_loop_gflops", flops / theirs / 1e9, 1).Add("ratio_vs_openblas_loop", theirs / grouped, 3);
        }
        line.Print();
    }

    static void WeightGradient(int rows, int n, int k, int threads)
    {
        // dW_g [n×k] += dY_gᵀ·X_g for a Linear k → n: what a backward pass runs per expert.
        int[] offsets = Offsets(rows);
        int groups = offsets.Length - 1;
        var rng = new Rng(3);
        float[] x = new float[rows * k], dy = new float[rows * n], dw = new float[groups * n * k];
        rng.FillUniform(x, -1, 1);
        rng.FillUniform(dy, -1, 1);
        double flops = 2.0 * rows * n * k;
        ParallelRunner.Threads = threads;
        double grouped = Timing.MedianSeconds(() => GroupedGemm.MultiplyTransposeA(x, dy, dw, offsets, k, n, transB: true, beta: 1f));
        double single = Timing.MedianSeconds(() => Gemm.Multiply(dy, x, dw.AsSpan(0, n * k), n, k, rows, transA: true, beta: 1f));
        new JsonLine("grouped_gemm")
            .Add("op", "weight_gradient").Add("experts", groups).Add("rows", rows).Add("k", k).Add("n", n).Add("transB", true)
            .Add("threads", threads)
            .Add("gflops", flops / grouped / 1e9, 1)
            .Add("single_gemm_gflops", flops / single / 1e9, 1)
            .Add("ratio_vs_single_gemm", single / grouped, 3)
            .Print();
    }
}
