using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Bench;

/// <summary>
/// <c>quant</c>: QuantMatMul per weight type — decode (tokens = 1, a matrix–vector product: memory bound,
/// so GB/s of weight bytes is the figure to watch) and a 64-token prefill (compute bound: GFLOP/s),
/// over a 4096×4096 and a 1024×2048 weight, 1 and 2 threads.
/// Options: <c>--type Q4_K</c> (one type), <c>--tokens N</c> (one token count), <c>--threads T</c>.
/// </summary>
internal static class QuantBench
{
    static readonly GgmlType[] AllTypes =
        [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K];

    public static void Run(string[] args)
    {
        int at = Array.IndexOf(args, "--type");
        GgmlType[] types = at >= 0 && at + 1 < args.Length
            ? [Enum.TryParse(args[at + 1], ignoreCase: true, out GgmlType t) && QuantMatMul.IsSupported(t) ? t
                : throw new BenchArgumentException($"--type needs one of {string.Join(", ", AllTypes)}, found '{args[at + 1]}'")]
            : AllTypes;
        int[] tokenCounts = Array.IndexOf(args, "--tokens") >= 0 ? [Args.Int(args, "--tokens", 1)] : [1, 64];
        int[] threadCounts = Array.IndexOf(args, "--threads") >= 0 ? [Args.Int(args, "--threads", 1)] : [1, 2];
        (int Out, int In)[] shapes = [(4096, 4096), (1024, 2048)];

        foreach (var (o, i) in shapes)
        {
            var rng = new Rng(11);
            var x = new float[tokenCounts.Max() * i];
            rng.FillUniform(x, -1, 1);
            foreach (var type in types)
            {
                byte[] w = Weights(rng, type, o, i);
                foreach (int tokens in tokenCounts)
                    foreach (int threads in threadCounts)
                        Measure(type, w, x, o, i, tokens, threads);
            }
        }
    }

    static byte[] Weights(Rng rng, GgmlType type, int rows, int cols)
    {
        int rowBytes = (int)GgmlTypes.RowBytes(type, cols);
        var w = new byte[(long)rows * rowBytes];
        var row = new float[cols];
        for (int r = 0; r < rows; r++)
        {
            rng.FillNormal(row, 0.02f);
            Quantizer.QuantizeRow(type, row, w.AsSpan(r * rowBytes, rowBytes));
        }
        return w;
    }

    static void Measure(GgmlType type, byte[] w, float[] xAll, int o, int i, int tokens, int threads)
    {
        var x = xAll.AsMemory(0, tokens * i);
        var y = new float[tokens * o];
        ParallelRunner.Threads = threads;
        double seconds = Timing.MedianSeconds(() => QuantMatMul.Multiply(type, w, x.Span, y, tokens, o, i));
        new JsonLine("quant")
            .Add("type", type.ToString()).Add("out", o).Add("in", i).Add("tokens", tokens)
            .Add("threads", threads)
            .Add("simd", Simd.Best.ToString())
            .Add("weight_bytes", w.LongLength)
            .Add("ms", seconds * 1e3, 3)
            .Add("weight_gbps", w.LongLength / seconds / 1e9, 2)
            .Add("gflops", 2.0 * tokens * o * i / seconds / 1e9, 2)
            .Print();
    }
}
