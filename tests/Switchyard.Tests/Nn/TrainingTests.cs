using Switchyard.Autograd;
using Switchyard.Nn.Optim;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Nn;

public sealed class TrainingTests
{
    const int Vocab = 8, Batch = 2, Seq = 12, Steps = 150;

    // "0 1 0 2 0 3 …": what follows a 0 depends on the token before it, so the model must
    // attend, not just read the current token.
    static readonly int[] Pattern = [0, 1, 0, 2, 0, 3];

    static (int[] Ids, int[] Targets) Batch0()
    {
        var ids = new int[Batch * Seq];
        var targets = new int[Batch * Seq];
        for (int b = 0; b < Batch; b++)
            for (int s = 0; s < Seq; s++)
            {
                int start = b * 2; // the sequences start at different phases
                ids[b * Seq + s] = Pattern[(start + s) % Pattern.Length];
                targets[b * Seq + s] = Pattern[(start + s + 1) % Pattern.Length];
            }
        return (ids, targets);
    }

    sealed class Trainer
    {
        public readonly TinyLm Model = new(Vocab, hidden: 16, heads: 4, kvHeads: 2, inter: 32, layers: 1, new Rng(42));
        public readonly Tape Tape = new(1 << 16);
        public readonly AdamW Optimizer;
        public readonly WarmupCosineSchedule Schedule = new(1e-2, warmupSteps: 10, totalSteps: Steps, minLearningRate: 1e-3);
        readonly IReadOnlyList<Switchyard.Nn.Parameter> _params;
        readonly int[] _ids, _targets;

        public Trainer()
        {
            Optimizer = new AdamW(Model.NamedParameters(), beta2: 0.95f, weightDecay: 0.01f);
            _params = Model.Parameters();
            (_ids, _targets) = Batch0();
        }

        public float Step()
        {
            Schedule.Apply(Optimizer);
            Var loss = Model.Loss(Tape, _ids, _targets, Batch, Seq);
            float value = loss.Value[0];
            Tape.Backward(loss);
            GradientClipping.ClipGlobalNorm(_params, 1.0);
            Optimizer.Step();
            Optimizer.ZeroGrad();
            Tape.Reset();
            return value;
        }
    }

    [Fact]
    public void Train_RepeatedPattern_DrivesLossWellDown()
    {
        var t = new Trainer();
        float first = t.Step();
        float last = first;
        for (int i = 1; i < Steps; i++) last = t.Step();
        Assert.InRange(first, 1.9f, 2.3f); // ≈ ln 8 at init
        Assert.True(last < 0.1f, $"loss went from {first} to {last}");
    }

    [Fact]
    public void Step_SteadyState_AllocatesNothing()
    {
        var t = new Trainer();
        t.Step(); t.Step(); // warm-up: arena slabs, pooled Vars and nodes, lazily made gradients
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 3; i++) t.Step();
        }, repeats: 1));
    }

    [Fact]
    public void SaveLoad_TrainedModel_ReproducesLogitsExactly()
    {
        // Given a model trained a few steps
        var t = new Trainer();
        for (int i = 0; i < 15; i++) t.Step();
        var (ids, _) = Batch0();
        float[] expected = t.Model.Logits(t.Tape, ids, Batch, Seq).Value.ToArray();
        t.Tape.Reset();
        string path = Path.Combine(Path.GetTempPath(), $"switchyard-tinylm-{Guid.NewGuid():N}.safetensors");
        try
        {
            // When saved and loaded into a differently initialised model
            t.Model.Save(path);
            var copy = new TinyLm(Vocab, 16, 4, 2, 32, 1, new Rng(7));
            copy.Load(path);
            // Then it computes the same logits bit for bit
            var tape = new Tape(1 << 16);
            Assert.Equal(expected, copy.Logits(tape, ids, Batch, Seq).Value.ToArray());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void NamedParameters_TinyLm_AreHuggingFaceNames()
    {
        var names = new TinyLm(Vocab, 16, 4, 2, 32, 1, new Rng(1)).NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(
        [
            "model.embed_tokens.weight",
            "model.layers.0.input_layernorm.weight",
            "model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
            "model.layers.0.self_attn.v_proj.weight", "model.layers.0.self_attn.o_proj.weight",
            "model.layers.0.self_attn.q_norm.weight", "model.layers.0.self_attn.k_norm.weight",
            "model.layers.0.post_attention_layernorm.weight",
            "model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight",
            "model.norm.weight",
            "lm_head.weight",
        ], names);
    }

    [Fact]
    public void Resume_FromSavedModelAndOptimizerState_ContinuesBitIdentically()
    {
        // Given an uninterrupted run of 12 steps
        var full = new Trainer();
        for (int i = 0; i < 12; i++) full.Step();
        // and a run interrupted after 8 steps, saved to files
        var first = new Trainer();
        for (int i = 0; i < 8; i++) first.Step();
        string dir = Directory.CreateTempSubdirectory("switchyard-resume-").FullName;
        try
        {
            first.Model.Save(Path.Combine(dir, "model.safetensors"));
            first.Optimizer.ExportState().Save(Path.Combine(dir, "optimizer.safetensors"));
            // When a fresh trainer loads both and takes the remaining 4 steps
            var resumed = new Trainer();
            resumed.Model.Load(Path.Combine(dir, "model.safetensors"));
            resumed.Optimizer.ImportState(OptimizerState.Load(Path.Combine(dir, "optimizer.safetensors")));
            for (int i = 0; i < 4; i++) resumed.Step();
            // Then every parameter matches the uninterrupted run bit for bit
            var a = full.Model.NamedParameters();
            var b = resumed.Model.NamedParameters();
            for (int i = 0; i < a.Count; i++) Assert.Equal(a[i].Parameter.Value.ToArray(), b[i].Parameter.Value.ToArray());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
