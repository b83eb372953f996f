using System.Globalization;

namespace Switchyard.Models;

/// <summary>
/// The map between Hugging Face tensor names and llama.cpp GGUF tensor names for the model family,
/// as llama.cpp's <c>convert_hf_to_gguf.py</c> writes them: <c>model.embed_tokens.weight</c> ↔
/// <c>token_embd.weight</c>, <c>model.layers.{i}.self_attn.q_proj.weight</c> ↔ <c>blk.{i}.attn_q.weight</c>,
/// routers ↔ <c>blk.{i}.ffn_gate_inp.weight</c>, and so on.
/// </summary>
/// <remarks>
/// <para>GGUF stacks the routed experts of a layer into one tensor per projection
/// (<c>blk.{i}.ffn_gate_exps.weight</c>, [E, F, d] in PyTorch order): an expert's HF tensor maps
/// to a slice (<c>expert</c> ≥ 0) of it. Granite's fused <c>input_linear</c> splits into
/// <c>ffn_gate_exps</c> (first F rows of each expert) and <c>ffn_up_exps</c>; it has no 1:1
/// name and is not mapped here.</para>
/// <para>Names are not the whole story: for the architectures that GGUF stores as llama.cpp's
/// <c>llama</c>/<c>granite</c> families (<see cref="PermutesQueryKey"/>), the converter reorders the
/// rows of q_proj and k_proj from Hugging Face's rotate-half RoPE layout to interleaved pairs; a
/// loader must undo that.</para>
/// </remarks>
public static class GgufTensorNames
{
    static readonly Dictionary<string, string> Attention = new(StringComparer.Ordinal)
    {
        ["input_layernorm"] = "attn_norm",
        ["self_attn.q_proj"] = "attn_q",
        ["self_attn.k_proj"] = "attn_k",
        ["self_attn.v_proj"] = "attn_v",
        ["self_attn.o_proj"] = "attn_output",
        ["self_attn.q_norm"] = "attn_q_norm",
        ["self_attn.k_norm"] = "attn_k_norm",
        ["post_attention_layernorm"] = "ffn_norm",
        ["mlp.gate_proj"] = "ffn_gate",
        ["mlp.up_proj"] = "ffn_up",
        ["mlp.down_proj"] = "ffn_down",
        ["mlp.gate"] = "ffn_gate_inp",
        ["block_sparse_moe.gate"] = "ffn_gate_inp",
        ["block_sparse_moe.router.layer"] = "ffn_gate_inp",
        ["block_sparse_moe.output_linear"] = "ffn_down_exps",
        ["mlp.shared_expert.gate_proj"] = "ffn_gate_shexp",
        ["mlp.shared_expert.up_proj"] = "ffn_up_shexp",
        ["mlp.shared_expert.down_proj"] = "ffn_down_shexp",
        ["mlp.shared_expert_gate"] = "ffn_gate_inp_shexp",
    };

    static readonly Dictionary<string, string> ExpertProjection = new(StringComparer.Ordinal)
    {
        ["gate_proj"] = "ffn_gate_exps", ["w1"] = "ffn_gate_exps",
        ["up_proj"] = "ffn_up_exps", ["w3"] = "ffn_up_exps",
        ["down_proj"] = "ffn_down_exps", ["w2"] = "ffn_down_exps",
    };

    /// <summary>
    /// llama.cpp's <c>general.architecture</c> for <paramref name="modelType"/>: llama, mixtral → <c>llama</c>;
    /// qwen2_moe → <c>qwen2moe</c>; qwen3_moe → <c>qwen3moe</c>; the others keep their name. Null when unknown.
    /// </summary>
    public static string? Architecture(string modelType) => modelType switch
    {
        "llama" or "mixtral" => "llama",
        "qwen2" => "qwen2",
        "qwen3" => "qwen3",
        "qwen2_moe" => "qwen2moe",
        "qwen3_moe" => "qwen3moe",
        "olmoe" => "olmoe",
        "granite" => "granite",
        "granitemoe" => "granitemoe",
        _ => null,
    };

    /// <summary>Whether llama.cpp's converter permutes q_proj/k_proj rows for this architecture (the Llama and Granite families).</summary>
    public static bool PermutesQueryKey(string modelType) => modelType is "llama" or "mixtral" or "granite" or "granitemoe";

    /// <summary>
    /// The GGUF name of Hugging Face tensor <paramref name="name"/>; <paramref name="expert"/> is the
    /// slice of a stacked expert tensor, or -1 for a tensor stored whole.
    /// </summary>
    /// <returns>False for names outside the map (e.g. Granite's fused <c>input_linear</c>).</returns>
    public static bool TryFromHuggingFace(string name, out string gguf, out int expert)
    {
        ArgumentNullException.ThrowIfNull(name);
        gguf = "";
        expert = -1;
        switch (name)
        {
            case "model.embed_tokens.weight": gguf = "token_embd.weight"; return true;
            case "model.norm.weight": gguf = "output_norm.weight"; return true;
            case "lm_head.weight": gguf = "output.weight"; return true;
        }
        const string Prefix = "model.layers.";
        if (!name.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        int dot = name.IndexOf('.', Prefix.Length);
        if (dot < 0 || !int.TryParse(name.AsSpan(Prefix.Length, dot - Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int layer))
            return false;
        string rest = name[(dot + 1)..];
        int last = rest.LastIndexOf('.');
        if (last < 0) return false;
        string module = rest[..last], suffix = rest[(last + 1)..]; // weight or bias
        string block = $"blk.{layer.ToString(CultureInfo.InvariantCulture)}.";
        if (Attention.TryGetValue(module, out string? g))
        {
            gguf = $"{block}{g}.{suffix}";
            return true;
        }
        // mlp.experts.{e}.gate_proj or block_sparse_moe.experts.{e}.w1
        string[] parts = module.Split('.');
        if (parts.Length == 4 && parts[0] is "mlp" or "block_sparse_moe" && parts[1] == "experts"
            && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int e)
            && ExpertProjection.TryGetValue(parts[3], out string? stacked))
        {
            gguf = $"{block}{stacked}.{suffix}";
            expert = e;
            return true;
        }
        return false;
    }
}
