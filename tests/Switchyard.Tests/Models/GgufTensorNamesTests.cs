using Switchyard.Models;
using Switchyard.Tensors;

namespace Switchyard.Tests.Models;

public sealed class GgufTensorNamesTests
{
    public static TheoryData<string, string, int> Pairs => new()
    {
        { "model.embed_tokens.weight", "token_embd.weight", -1 },
        { "model.norm.weight", "output_norm.weight", -1 },
        { "lm_head.weight", "output.weight", -1 },
        { "model.layers.0.input_layernorm.weight", "blk.0.attn_norm.weight", -1 },
        { "model.layers.12.self_attn.q_proj.bias", "blk.12.attn_q.bias", -1 },
        { "model.layers.3.self_attn.o_proj.weight", "blk.3.attn_output.weight", -1 },
        { "model.layers.3.self_attn.k_norm.weight", "blk.3.attn_k_norm.weight", -1 },
        { "model.layers.3.post_attention_layernorm.weight", "blk.3.ffn_norm.weight", -1 },
        { "model.layers.3.mlp.down_proj.weight", "blk.3.ffn_down.weight", -1 },
        { "model.layers.5.block_sparse_moe.gate.weight", "blk.5.ffn_gate_inp.weight", -1 },
        { "model.layers.5.block_sparse_moe.experts.7.w1.weight", "blk.5.ffn_gate_exps.weight", 7 },
        { "model.layers.5.block_sparse_moe.experts.7.w2.weight", "blk.5.ffn_down_exps.weight", 7 },
        { "model.layers.5.block_sparse_moe.experts.7.w3.weight", "blk.5.ffn_up_exps.weight", 7 },
        { "model.layers.1.mlp.gate.weight", "blk.1.ffn_gate_inp.weight", -1 },
        { "model.layers.1.mlp.experts.63.up_proj.weight", "blk.1.ffn_up_exps.weight", 63 },
        { "model.layers.1.mlp.shared_expert.gate_proj.weight", "blk.1.ffn_gate_shexp.weight", -1 },
        { "model.layers.1.mlp.shared_expert_gate.weight", "blk.1.ffn_gate_inp_shexp.weight", -1 },
        { "model.layers.2.block_sparse_moe.router.layer.weight", "blk.2.ffn_gate_inp.weight", -1 },
        { "model.layers.2.block_sparse_moe.output_linear.weight", "blk.2.ffn_down_exps.weight", -1 },
    };

    [Theory, MemberData(nameof(Pairs))]
    public void TryFromHuggingFace_KnownName_MapsAsLlamaCppConverter(string hf, string gguf, int expert)
    {
        Assert.True(GgufTensorNames.TryFromHuggingFace(hf, out string name, out int e));
        Assert.Equal((gguf, expert), (name, e));
    }

    [Theory]
    [InlineData("model.layers.2.block_sparse_moe.input_linear.weight")]
    [InlineData("model.layers.x.mlp.gate_proj.weight")]
    [InlineData("transformer.h.0.attn.c_attn.weight")]
    public void TryFromHuggingFace_UnmappedName_ReturnsFalse(string hf) =>
        Assert.False(GgufTensorNames.TryFromHuggingFace(hf, out _, out _));

    [Fact]
    public void TryFromHuggingFace_EveryTensorOfDenseModels_IsMappedUniquely()
    {
        foreach (string type in new[] { "llama", "qwen2", "qwen3", "granite" })
        {
            var names = new DecoderModel(TinyConfigs.Create(type), new Rng(1)).NamedParameters().Select(p => p.Name);
            var mapped = names.Select(n => GgufTensorNames.TryFromHuggingFace(n, out string g, out _) ? g : throw new Xunit.Sdk.XunitException($"{type}: {n} unmapped")).ToList();
            Assert.Equal(mapped.Count, mapped.Distinct().Count());
        }
    }

    [Fact]
    public void Architecture_And_Permutation_FollowLlamaCpp()
    {
        Assert.Equal("llama", GgufTensorNames.Architecture("mixtral"));
        Assert.Equal("qwen3moe", GgufTensorNames.Architecture("qwen3_moe"));
        Assert.Null(GgufTensorNames.Architecture("gpt2"));
        Assert.True(GgufTensorNames.PermutesQueryKey("mixtral"));
        Assert.False(GgufTensorNames.PermutesQueryKey("olmoe"));
        foreach (var preset in ArchitecturePresets.All) Assert.NotNull(GgufTensorNames.Architecture(preset.ModelType));
    }
}
