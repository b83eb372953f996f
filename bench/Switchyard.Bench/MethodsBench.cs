using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Models;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Tensors;
using Switchyard.Training;

namespace Switchyard.Bench;

/// <summary>
/// <c>methods</c>: "compute follows routing". For every catalog router (<see cref="RouterCatalog.Names"/>, in the default
/// <c>moe</c> block) and every other MoE block kind (<see cref="MoeBlockCatalog.Names"/>, with the <c>top-k</c> router),
/// one MoE feed-forward block of the tiny default model (d = 128, 8 SwiGLU experts of width 256, k = 2 from the config;
/// the catalog's defaults otherwise) is built as the model builds it and timed for a forward + backward training step on a
/// fixed batch of 16 × 128 tokens (the default recipe's): router, auxiliary losses, dispatch, experts, combine — the
/// block alone, so attention and the LM head do not dilute the MoE cost. Per method one JSON line: ms per token, forward
/// expert FLOPs per token (the block's routed layers' <see cref="MoeLayer.FlopsPerToken"/>: kept assignments only),
/// picoseconds per training FLOP (3 × forward) and <c>ratio_vs_top2</c> = that over the <c>top-k</c> (k = 2) block's.
/// A ratio near 1 means time follows the FLOPs routing asks for; fixed costs that expert FLOPs do not count (router
/// GEMMs and recurrences, several routing passes, dense gates) push it above 1 for methods that compute few experts.
/// Step-dependent routers run at step 50 of 100 (SMoE-Dropout: k = 6 of 8).
/// Arguments: <c>--tokens N</c>, <c>--seq T</c>, <c>--dim D</c>, <c>--ffn F</c>, <c>--experts E</c>, <c>--threads T</c>.
/// </summary>
internal static class MethodsBench
{
    const string Baseline = "top-k";

    public static void Run(string[] args)
    {
        int tokens = Args.Int(args, "--tokens", 16 * 128), seq = Args.Int(args, "--seq", 128);
        int d = Args.Int(args, "--dim", 128), f = Args.Int(args, "--ffn", 256), experts = Args.Int(args, "--experts", 8);
        int threads = Args.Int(args, "--threads", ParallelRunner.Threads);
        if (tokens % seq != 0) throw new BenchArgumentException($"--tokens {tokens} must be a multiple of --seq {seq}");
        ParallelRunner.Threads = threads;
        ModelConfig model = Recipe.Default.Model with
        {
            HiddenSize = d, IntermediateSize = f, NumExperts = experts, NumExpertsPerTok = 2, NumHiddenLayers = 1,
        };

        var methods = new List<(string Label, string Router, string Block)>();
        foreach (string router in RouterCatalog.Names) methods.Add((router, router, MoeBlockCatalog.Default));
        foreach (string block in MoeBlockCatalog.Names.Where(b => b != MoeBlockCatalog.Default)) methods.Add(($"block:{block}", Baseline, block));

        var results = new List<(string Label, string Router, string Block, Measurement? M, string? Error)>();
        foreach (var (label, router, block) in methods)
        {
            ModelConfig config = model with { Switchyard = new SwitchyardOptions { Router = router, Block = block == MoeBlockCatalog.Default ? null : block } };
            try { results.Add((label, router, block, new Case(config, tokens, seq).Measure(), null)); }
            // A method that cannot build at these sizes, or needs more than one block sees (the attention graph router reads
            // the preceding attention's queries and keys, which only a decoder model's forward pass provides).
            catch (Exception e) when (e is SwitchyardException or InvalidOperationException) { results.Add((label, router, block, null, e.Message)); }
        }

        double baseline = results.FirstOrDefault(r => r.Label == Baseline).M?.PicosecondsPerFlop ?? double.NaN;
        foreach (var (label, router, block, m, error) in results)
        {
            var line = new JsonLine("methods").Add("method", label).Add("router", router).Add("block", block)
                .Add("tokens", tokens).Add("d", d).Add("experts", experts).Add("ffn", f).Add("threads", threads);
            if (m is null) { line.Add("error", error!).Print(); continue; }
            line.Add("routed_passes", m.Passes)
                .Add("experts_per_token", m.ExpertsPerToken, 3)
                .Add("ms_fwd_bwd", m.Seconds * 1e3, 3)
                .Add("ms_per_token", m.Seconds * 1e3 / tokens, 6)
                .Add("expert_flops_per_token", m.FlopsPerToken, 0)
                .Add("ps_per_flop", m.PicosecondsPerFlop, 3)
                .Add("ratio_vs_top2", m.PicosecondsPerFlop / baseline, 3)
                .Print();
        }
    }

    /// <summary>One method's timing: seconds per step, routing passes, kept experts and forward expert FLOPs per token (summed over passes).</summary>
    sealed record Measurement(double Seconds, int Passes, double ExpertsPerToken, double FlopsPerToken, int Tokens)
    {
        // Training FLOPs = 3 × forward (forward, input gradient, weight gradient).
        public double PicosecondsPerFlop => Seconds / (Tokens * 3.0 * FlopsPerToken) * 1e12;
    }

    /// <summary>One block, its input, token ids and a reused tape (as a training step of one layer sees them).</summary>
    sealed class Case
    {
        readonly Tape _tape = new(1 << 22);
        readonly FeedForwardBlock _block;
        readonly Tensor _x, _xGrad;
        readonly int[] _ids, _positions;
        readonly AuxiliaryLosses _losses = new();
        readonly RoutingContext _routing = new(new Rng(3)) { Training = true, Step = 50, TotalSteps = 100 };
        readonly Rng _rng = new(4);
        readonly int _tokens, _seq;

        public Case(ModelConfig config, int tokens, int seq)
        {
            _block = MoeBlockCatalog.Create(0, config, new Rng(1));
            _tokens = tokens;
            _seq = seq;
            _x = new Tensor(new Shape(tokens, config.HiddenSize));
            _xGrad = new Tensor(_x.Shape);
            new Rng(2).FillNormal(_x.Span);
            var ids = new Rng(5);
            _ids = [.. Enumerable.Range(0, tokens).Select(_ => ids.NextInt(config.VocabSize))];
            _positions = [.. Enumerable.Range(0, tokens).Select(i => i % seq)];
        }

        public Measurement Measure()
        {
            double seconds = Timing.MedianSeconds(Step, targetSeconds: 1, minReps: 5, maxReps: 30);
            MoeLayer[] layers = [.. _block.RoutedLayers];
            return new Measurement(seconds, layers.Length, layers.Sum(l => (double)l.Statistics.ExpertsPerItemMean), layers.Sum(l => l.FlopsPerToken), _tokens);
        }

        void Step()
        {
            _tape.Reset();
            _losses.Clear();
            var context = new LayerContext(_ids, _positions, _tokens / _seq, _seq, 0, true, _rng, _losses, _routing);
            Var loss = _tape.Sum(_block.Forward(_tape, _tape.Leaf(_x, _xGrad), context));
            if (_losses.Total(_tape) is { } aux) loss = _tape.Add(loss, aux);
            _tape.Backward(loss);
            foreach (MoeLayer layer in _block.RoutedLayers) layer.Router.AfterOptimizerStep(); // as the trainer: bias balancers reset their counts
        }
    }
}
