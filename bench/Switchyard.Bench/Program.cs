namespace Switchyard.Bench;

/// <summary>
/// Benchmark harness: <c>dotnet run -c Release --project bench/Switchyard.Bench -- &lt;case&gt;</c>.
/// Each case group lives in its own file and prints one JSON object per line per measurement,
/// so results can be collected with <c>jq</c> or appended to a log. Add a case group by adding
/// one entry to <see cref="Cases"/>; arguments after the case name go to it.
/// </summary>
internal static class Program
{
    static readonly (string Name, string Description, Action<string[]> Run)[] Cases =
    [
        ("gemm", "GEMM vs OpenBLAS: square 512/1024/2048 and MoE expert shapes, 1 and 2 threads", GemmBench.Run),
        ("grouped", "grouped GEMM over 8 uneven experts vs one GEMM of equal FLOPs", GroupedGemmBench.Run),
        ("moe", "MoE layer fwd+bwd vs dense-8 and its grouped GEMMs", MoeLayerBench.Run),
        ("alloc", "managed bytes allocated per steady-state training step", AllocBench.Run),
        ("quant", "quantized matmul per GGUF type: decode GB/s and 64-token prefill GFLOP/s, 1 and 2 threads", QuantBench.Run),
        ("attention", "decode attention vs KV cache: µs per token and GB/s at contexts 512/2048/8192", AttentionBench.Run),
        ("methods", "compute follows routing: fwd+bwd of one MoE block per catalog router and block kind, time per expert FLOP vs top-2", MethodsBench.Run),
    ];

    static int Main(string[] args)
    {
        try
        {
            return Dispatch(args);
        }
        catch (BenchArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    static int Dispatch(string[] args)
    {
        string name = args.Length > 0 ? args[0] : "";
        if (name == "all")
        {
            foreach (var c in Cases) c.Run([]);
            return 0;
        }
        foreach (var c in Cases)
        {
            if (c.Name == name)
            {
                c.Run(args[1..]);
                return 0;
            }
        }
        string known = string.Join(", ", Cases.Select(c => c.Name).Append("all"));
        Console.Error.WriteLine(name.Length == 0
            ? $"error: no case given; known cases: {known}"
            : $"error: unknown case '{name}'; known cases: {known}");
        return 2;
    }
}
