using Switchyard.Autograd;
using Switchyard.Models;
using Switchyard.Nn.Optim;
using Switchyard.Tensors;

namespace Switchyard.Bench;

/// <summary>
/// <c>alloc</c>: managed bytes allocated per steady-state training step, all threads counted
/// (<see cref="GC.GetTotalAllocatedBytes(bool)"/>, precise). The step is a whole training
/// step of a small decoder (embedding, RMSNorm, GQA attention with RoPE, SwiGLU, tied head,
/// cross-entropy): forward, backward, global-norm clipping, AdamW, tape reset. The promise is
/// 0 bytes; the first steps size the arena and pools and are reported separately.
/// Arguments: <c>--steps N</c> (measured steps, default 20), <c>--threads T</c>.
/// </summary>
internal static class AllocBench
{
    public static void Run(string[] args)
    {
        int steps = Args.Int(args, "--steps", 20);
        int threads = Args.Int(args, "--threads", ParallelRunner.Threads);
        ParallelRunner.Threads = threads;
        const int batch = 4, seq = 64;
        var config = ArchitecturePresets.Defaults("qwen3") with
        {
            VocabSize = 259, HiddenSize = 128, IntermediateSize = 256, NumHiddenLayers = 2,
            NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 32, MaxPositionEmbeddings = seq,
            TieWordEmbeddings = true, BosTokenId = null, EosTokenId = [],
        };
        var model = new DecoderModel(config, new Rng(1)) { Training = true };
        var parameters = model.Parameters().ToList();
        var optimizer = new AdamW(model.NamedParameters(), learningRate: 1e-3f);
        var tape = new Tape();
        var rng = new Rng(2);
        var ids = new int[batch * seq];
        var targets = new int[batch * seq];
        for (int i = 0; i < ids.Length; i++) { ids[i] = rng.NextInt(config.VocabSize); targets[i] = rng.NextInt(config.VocabSize); }

        void Step()
        {
            Var loss = model.Loss(tape, ids, targets, batch, seq);
            tape.Backward(loss);
            GradientClipping.ClipGlobalNorm(parameters, 1.0);
            optimizer.Step();
            optimizer.ZeroGrad();
            tape.Reset();
        }

        long start = GC.GetTotalAllocatedBytes(precise: true);
        Step(); Step();
        long warm = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < steps; i++) Step();
        long end = GC.GetTotalAllocatedBytes(precise: true);

        new JsonLine("alloc")
            .Add("model", "qwen3-tiny").Add("parameters", model.ParameterCount(includeEmbedding: true))
            .Add("batch", batch).Add("seq", seq).Add("threads", threads).Add("steps", steps)
            .Add("warmup_bytes", warm - start)
            .Add("bytes_per_step", (end - warm) / (double)steps, 1)
            .Add("gc_gen0_collections", GC.CollectionCount(0))
            .Print();
    }
}
