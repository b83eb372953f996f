using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Bench;

/// <summary>
/// <c>moe</c>: one MoE layer forward + backward (4096 tokens, d = 512, 8 SwiGLU experts of width
/// 1024, top-2 dropless, load-balance and z-loss on) against the same layer computing all 8
/// experts for every token (top-8 of 8), and against its grouped GEMMs alone (the floor the
/// non-GEMM parts — routing, dispatch, SwiGLU, combine — add to). Model FLOPs count the expert
/// GEMMs only: 2·tokens·k·3·d·F forward, ×3 for forward + backward. MFU is relative to the GEMM
/// peak given as <c>--peak GFLOPS</c> (the lead passes the measured one); without it, a plain
/// GEMM of the up-projection shape is timed here as the peak.
/// Arguments: <c>--peak G</c>, <c>--tokens N</c>, <c>--threads T</c>, <c>--dim D</c>, <c>--ffn F</c>.
/// </summary>
internal static class MoeLayerBench
{
    public static void Run(string[] args)
    {
        double peak = Arg(args, "--peak", double.NaN);
        int tokens = (int)Arg(args, "--tokens", 4096), d = (int)Arg(args, "--dim", 512), f = (int)Arg(args, "--ffn", 1024);
        int threads = (int)Arg(args, "--threads", ParallelRunner.Threads);
        const int experts = 8, k = 2;
        ParallelRunner.Threads = threads;
        string peakSource = "argument";
        if (double.IsNaN(peak))
        {
            peak = GemmPeak(tokens * k / experts * experts, 2 * f, d);
            peakSource = "gemm_up_projection_here";
        }

        var sparse = new Case(tokens, d, f, experts, k);
        double moe = Timing.MedianSeconds(sparse.Step, targetSeconds: 2, minReps: 5, maxReps: 20);
        double gemms = Timing.MedianSeconds(sparse.GemmsOnly, targetSeconds: 2, minReps: 5, maxReps: 20);
        double route = Timing.MedianSeconds(sparse.RouteOnly, targetSeconds: 0.5, minReps: 5, maxReps: 40);
        double flops = 3 * 2.0 * tokens * k * 3 * d * f;
        var dense = new Case(tokens, d, f, experts, experts);
        double all = Timing.MedianSeconds(dense.Step, targetSeconds: 2, minReps: 3, maxReps: 10);

        new JsonLine("moe_layer")
            .Add("tokens", tokens).Add("d", d).Add("experts", experts).Add("ffn", f).Add("k", k).Add("threads", threads)
            .Add("ms_fwd_bwd", moe * 1e3, 2)
            .Add("model_gflop", flops / 1e9, 2)
            .Add("gflops", flops / moe / 1e9, 1)
            .Add("gemm_peak_gflops", peak, 1).Add("gemm_peak_source", peakSource)
            .Add("mfu", flops / moe / 1e9 / peak, 3)
            .Add("grouped_gemms_only_ms", gemms * 1e3, 2)
            .Add("gemm_share", gemms / moe, 3)
            .Add("route_fwd_ms", route * 1e3, 2)
            .Add("dense8_ms_fwd_bwd", all * 1e3, 2)
            .Add("speedup_vs_dense8", all / moe, 2)
            .Add("dropped_fraction", sparse.Layer.Statistics.DroppedFraction, 4)
            .Add("load_cv", sparse.Layer.Statistics.LoadCv, 3)
            .Print();

        // Why gate and up share one [E, 2F, d] stack: one grouped GEMM of width 2F against two of width F.
        ReadOnlySpan<int> offsets = sparse.Layer.Plan.Offsets;
        int rows = sparse.Layer.Plan.Count;
        var rng = new Rng(5);
        float[] a = new float[rows * d], gu = new float[experts * 2 * f * d], g = new float[experts * f * d], u = new float[experts * f * d];
        float[] c = new float[rows * 2 * f], c1 = new float[rows * f], c2 = new float[rows * f];
        rng.FillUniform(a, -1, 1); rng.FillUniform(gu, -1, 1); rng.FillUniform(g, -1, 1); rng.FillUniform(u, -1, 1);
        int[] off = offsets.ToArray();
        double fused = Timing.MedianSeconds(() => GroupedGemm.Multiply(a, gu, c, off, 2 * f, d, transB: true));
        double split = Timing.MedianSeconds(() =>
        {
            GroupedGemm.Multiply(a, g, c1, off, f, d, transB: true);
            GroupedGemm.Multiply(a, u, c2, off, f, d, transB: true);
        });
        new JsonLine("moe_gate_up_fusion")
            .Add("rows", rows).Add("d", d).Add("ffn", f).Add("threads", threads)
            .Add("fused_ms", fused * 1e3, 2).Add("two_gemms_ms", split * 1e3, 2).Add("speedup", split / fused, 3)
            .Print();
    }

    static double Arg(string[] args, string name, double fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }

    static double GemmPeak(int m, int n, int kDepth)
    {
        var rng = new Rng(4);
        float[] a = new float[m * kDepth], b = new float[n * kDepth], c = new float[m * n];
        rng.FillUniform(a, -1, 1);
        rng.FillUniform(b, -1, 1);
        double s = Timing.MedianSeconds(() => Gemm.Multiply(a, b, c, m, n, kDepth, transB: true));
        return 2.0 * m * n * kDepth / s / 1e9;
    }

    /// <summary>One layer, its input and a reused tape: a warm step allocates nothing.</summary>
    sealed class Case
    {
        readonly Tape _tape = new(1 << 24);
        readonly Tensor _x, _xGrad;
        readonly RoutingContext _context = new(new Rng(3)) { Training = true };
        readonly AuxLossAccumulator _aux = new();
        readonly float[] _h, _gu, _dh, _dgu, _dx;
        readonly SwiGluExperts _experts;
        readonly int _f, _d;

        public Case(int tokens, int d, int f, int experts, int k)
        {
            Layer = MoeLayer.Create(new MoeLayerOptions
            {
                ModelDim = d, Experts = experts, ExpertWidth = f, Router = "top-k",
                RouterOptions = new TopKRouterOptions { K = k, Normalize = true },
            }, new Rng(1));
            _x = new Tensor(new Shape(tokens, d));
            _xGrad = new Tensor(_x.Shape);
            new Rng(2).FillNormal(_x.Span);
            _experts = (SwiGluExperts)Layer.Experts;
            _f = f; _d = d;
            Step(); // fills the plan the GEMM-only replay uses
            int n = Layer.Plan.Count;
            _h = new float[n * f]; _gu = new float[n * 2 * f]; _dh = new float[n * f]; _dgu = new float[n * 2 * f]; _dx = new float[n * d];
        }

        public MoeLayer Layer { get; }

        public void Step()
        {
            _aux.Clear();
            Var y = Layer.Forward(_tape, _tape.Leaf(_x, _xGrad), _context, _aux);
            Var loss = _tape.Sum(y);
            if (_aux.Total is not null) loss = _tape.Add(loss, _aux.Total);
            _tape.Backward(loss);
            _tape.Reset();
        }

        public void RouteOnly()
        {
            Layer.Router.Route(_tape, _tape.Leaf(_x, _xGrad), _context, Layer.Plan);
            _tape.Reset();
        }

        // The six grouped GEMMs of a forward + backward on the same plan: the floor of Step.
        public void GemmsOnly()
        {
            ReadOnlySpan<int> offsets = Layer.Plan.Offsets;
            int f = _f, d = _d;
            ReadOnlySpan<float> rows = _dx; // any [n, d] data: timing only
            GroupedGemm.Multiply(rows, _experts.GateUp.Span, _gu, offsets, 2 * f, d, transB: true);
            GroupedGemm.Multiply(_h, _experts.Down.Span, _dx, offsets, d, f, transB: true);
            GroupedGemm.MultiplyTransposeA(_h, _dx, _experts.DownGrad.Span, offsets, f, d, transB: true, beta: 1f);
            GroupedGemm.Multiply(_dx, _experts.Down.Span, _dh, offsets, f, d);
            GroupedGemm.MultiplyTransposeA(rows, _dgu, _experts.GateUpGrad.Span, offsets, d, 2 * f, transB: true, beta: 1f);
            GroupedGemm.Multiply(_dgu, _experts.GateUp.Span, _dx, offsets, d, 2 * f, beta: 1f);
        }
    }
}
