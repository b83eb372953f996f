using Switchyard.Autograd;
using Switchyard.Models;
using Switchyard.Tensors;
using Switchyard.Tests.Models;

namespace Switchyard.Tests.Inference;

/// <summary>Tiny models of every architecture with random weights large enough that every path changes the logits.</summary>
internal static class InferenceTestModels
{
    public static TheoryData<string> Variants =>
    [
        "llama", "qwen2", "qwen3-tied", "granite", "mixtral", "qwen2_moe", "qwen3_moe", "olmoe-clip", "granitemoe", "qwen2_moe-sparse-step",
    ];

    public static readonly int[] Ids = [1, 4, 7, 10, 0, 3, 3, 9, 2];

    public static ModelConfig Config(string variant) => variant switch
    {
        "qwen3-tied" => TinyConfigs.Create("qwen3") with { TieWordEmbeddings = true },
        "granite" => TinyConfigs.Create("granite") with { EmbeddingMultiplier = 2, ResidualMultiplier = 0.5, LogitsScaling = 2, AttentionMultiplier = 0.3 },
        "olmoe-clip" => TinyConfigs.Create("olmoe") with { ClipQkv = 0.4 },
        "granitemoe" => TinyConfigs.Create("granitemoe") with { EmbeddingMultiplier = 1.5, ResidualMultiplier = 0.7, LogitsScaling = 3, AttentionMultiplier = 0.4 },
        "qwen2_moe-sparse-step" => TinyConfigs.Create("qwen2_moe") with { DecoderSparseStep = 2 },
        _ => TinyConfigs.Create(variant),
    };

    /// <summary>A model of <paramref name="variant"/> with weights ~ N(0, 0.3²) (norm weights ~ 1 + N(0, 0.1²)).</summary>
    public static DecoderModel Create(string variant, ulong seed = 5) => Create(Config(variant), seed);

    /// <summary>A model of <paramref name="config"/> with weights as <see cref="Create(string, ulong)"/>.</summary>
    public static DecoderModel Create(ModelConfig config, ulong seed = 5)
    {
        var model = new DecoderModel(config, new Rng(seed), MoeFeedForward.Factory);
        var rng = new Rng(seed + 100);
        foreach (var (name, p) in model.NamedParameters())
        {
            bool norm = name.Contains("norm", StringComparison.Ordinal);
            rng.FillNormal(p.Value.Span, norm ? 0.1f : 0.3f);
            if (norm) foreach (ref float v in p.Value.Span) v += 1f;
        }
        return model;
    }

    /// <summary>DecoderModel.Forward's logits [ids.Length, vocab] for one sequence.</summary>
    public static float[] ReferenceLogits(DecoderModel model, ReadOnlySpan<int> ids)
    {
        var tape = new Tape(1 << 14);
        using (tape.NoGrad()) return model.Forward(tape, ids, 1, ids.Length).Value.ToArray();
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])),
                $"index {i}: expected {expected[i]}, got {actual[i]}");
    }
}
