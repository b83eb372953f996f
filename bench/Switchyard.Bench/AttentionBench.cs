using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Bench;

/// <summary>
/// <c>attention</c>: decode attention (one new token against the KV cache) per layer, at
/// contexts 512/2048/8192, for an OLMoE-like shape (16 query = 16 kv heads, head_dim 128) and a
/// GQA shape (32 query heads on 8 kv heads). Decode attention streams the cache once, so the
/// figure of merit is GB/s of K and V read. Calls cycle through enough distinct caches (one per
/// "layer") to exceed the last-level cache, as a real decode step through all layers does.
/// <c>--threads T</c> runs only T threads (default: 1 and all); <c>--warm</c> reuses one cache;
/// <c>--context N</c> (with <c>--q-heads</c>, <c>--kv-heads</c>, <c>--head-dim</c>) runs one custom shape.
/// </summary>
internal static class AttentionBench
{
    // Distinct caches cycled through: at least this many bytes, so reads come from memory.
    const long ColdBytes = 512L << 20;

    public static void Run(string[] args)
    {
        int all = ParallelRunner.Threads;
        int[] threadCounts = args.Contains("--threads") ? [Args.Int(args, "--threads", all)] : all > 1 ? [1, all] : [1];
        bool warm = args.Contains("--warm");
        WarmUp(threadCounts);
        if (args.Contains("--context"))
        {
            // One custom shape, for tuning: --context N [--q-heads H] [--kv-heads H] [--head-dim D].
            foreach (int threads in threadCounts)
                Decode("custom", Args.Int(args, "--q-heads", 16), Args.Int(args, "--kv-heads", 16), Args.Int(args, "--head-dim", 128),
                    Args.Int(args, "--context", 512), threads, warm);
            ParallelRunner.Threads = all;
            return;
        }
        foreach (int threads in threadCounts)
            foreach (var (label, qHeads, kvHeads) in new[] { ("olmoe", 16, 16), ("gqa", 32, 8) })
                foreach (int context in new[] { 512, 2048, 8192 })
                    Decode(label, qHeads, kvHeads, 128, context, threads, warm);
        ParallelRunner.Threads = all;
    }

    /// <summary>
    /// Runs the kernel until it is fully optimized (tier-1 JIT) on every path the threads use:
    /// Timing's own warm-up (a few calls) leaves the long loops in tier-0/OSR code, measured ~10× slower.
    /// </summary>
    static void WarmUp(int[] threadCounts)
    {
        const int context = 700, qHeads = 8, kvHeads = 2, headDim = 128;
        var rng = new Rng(1);
        float[] k = new float[context * kvHeads * headDim], v = new float[k.Length], q = new float[qHeads * headDim], o = new float[q.Length];
        rng.FillUniform(k, -1, 1);
        rng.FillUniform(v, -1, 1);
        rng.FillUniform(q, -1, 1);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (int n = 0; n < 300 || sw.Elapsed.TotalSeconds < 0.5; n++)
            foreach (int threads in threadCounts)
                CachedAttention.Forward(q, k, v, o, 1, context - 1, qHeads, kvHeads, headDim, 0.1f, Simd.Best, threads);
    }

    static void Decode(string label, int qHeads, int kvHeads, int headDim, int context, int threads, bool warm)
    {
        long cacheFloats = (long)context * kvHeads * headDim;
        long bytesRead = 2 * cacheFloats * sizeof(float); // K and V rows 0..context−1
        int layers = warm ? 1 : (int)Math.Max(1, (ColdBytes + bytesRead - 1) / bytesRead);
        var rng = new Rng(7);
        var k = new float[layers][];
        var v = new float[layers][];
        for (int l = 0; l < layers; l++)
        {
            k[l] = new float[cacheFloats];
            v[l] = new float[cacheFloats];
            rng.FillUniform(k[l], -1, 1);
            rng.FillUniform(v[l], -1, 1);
        }
        float[] q = new float[qHeads * headDim], o = new float[q.Length];
        rng.FillUniform(q, -1, 1);
        float scale = 1f / MathF.Sqrt(headDim);

        ParallelRunner.Threads = threads;
        int layer = 0;
        // Each timed call runs every layer once; the time reported is per layer.
        double seconds = Timing.MedianSeconds(() =>
        {
            for (int l = 0; l < layers; l++)
            {
                CachedAttention.Forward(q, k[layer], v[layer], o, 1, context - 1, qHeads, kvHeads, headDim, scale);
                layer = (layer + 1) % layers;
            }
        }) / layers;
        new JsonLine("attention")
            .Add("op", "decode").Add("shape", label)
            .Add("q_heads", qHeads).Add("kv_heads", kvHeads).Add("head_dim", headDim).Add("context", context)
            .Add("threads", threads).Add("simd", Simd.Best.ToString()).Add("cold", !warm).Add("layers_cycled", layers)
            .Add("us_per_token_layer", seconds * 1e6, 1)
            .Add("kv_gbps", bytesRead / seconds / 1e9, 2)
            .Print();
    }
}
