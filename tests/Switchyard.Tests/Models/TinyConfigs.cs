using Switchyard.Models;

namespace Switchyard.Tests.Models;

/// <summary>Tiny configurations of each architecture for model tests (milliseconds per step).</summary>
internal static class TinyConfigs
{
    /// <summary>
    /// <paramref name="modelType"/>'s preset shrunk to vocab 11, width 8, 2 layers, 2 query heads
    /// sharing 1 kv head of width 4, MLP width 12; MoE types get 4 experts of width 6, k = 2.
    /// </summary>
    public static ModelConfig Create(string modelType, double initStd = 0.02) =>
        ArchitecturePresets.Defaults(modelType) with
        {
            VocabSize = 11, HiddenSize = 8, IntermediateSize = 12, NumHiddenLayers = 2, NumAttentionHeads = 2,
            NumKeyValueHeads = 1, HeadDim = 4, MaxPositionEmbeddings = 64, BosTokenId = null, EosTokenId = [],
            InitializerRange = initStd,
            NumExperts = ArchitecturePresets.Defaults(modelType).NumExperts > 0 ? 4 : 0,
            NumExpertsPerTok = ArchitecturePresets.Defaults(modelType).NumExperts > 0 ? 2 : 0,
            MoeIntermediateSize = ArchitecturePresets.Defaults(modelType).MoeIntermediateSize is null ? null : 6,
            SharedExpertIntermediateSize = ArchitecturePresets.Defaults(modelType).SharedExpertIntermediateSize is null ? null : 10,
        };
}
