using System.Globalization;

namespace Switchyard.Models;

/// <summary>
/// How one architecture names the tensors of an MoE feed-forward block in its Hugging Face
/// checkpoints, relative to <c>model.layers.{i}</c>:
/// <list type="table">
/// <item><term>mixtral</term><description><c>block_sparse_moe.gate.weight</c> [E, d]; <c>block_sparse_moe.experts.{e}.w1</c> (gate), <c>w3</c> (up), <c>w2</c> (down)</description></item>
/// <item><term>qwen2_moe</term><description><c>mlp.gate.weight</c>; <c>mlp.experts.{e}.gate_proj/up_proj/down_proj</c>; <c>mlp.shared_expert.gate_proj/up_proj/down_proj</c>; <c>mlp.shared_expert_gate.weight</c> [1, d]</description></item>
/// <item><term>qwen3_moe, olmoe</term><description><c>mlp.gate.weight</c>; <c>mlp.experts.{e}.gate_proj/up_proj/down_proj</c></description></item>
/// <item><term>granitemoe</term><description><c>block_sparse_moe.router.layer.weight</c> [E, d]; fused <c>block_sparse_moe.input_linear.weight</c> [E, 2F, d] (gate rows first, then up) and <c>block_sparse_moe.output_linear.weight</c> [E, d, F]</description></item>
/// </list>
/// Dense layers are <c>mlp.gate_proj/up_proj/down_proj</c> in every architecture.
/// </summary>
/// <param name="Block">Child name of the feed-forward in a decoder layer (<c>mlp</c> or <c>block_sparse_moe</c>).</param>
/// <param name="Router">Path of the router linear inside the block (<c>gate</c> or <c>router.layer</c>).</param>
/// <param name="Experts">List of experts inside the block (<c>experts</c>), or null when the experts are fused.</param>
/// <param name="GateProj">Gate projection of an expert (<c>gate_proj</c> or <c>w1</c>).</param>
/// <param name="UpProj">Up projection of an expert (<c>up_proj</c> or <c>w3</c>).</param>
/// <param name="DownProj">Down projection of an expert (<c>down_proj</c> or <c>w2</c>).</param>
/// <param name="SharedExpert">The shared expert module (Qwen2-MoE <c>shared_expert</c>), or null.</param>
/// <param name="SharedExpertGate">The shared expert's sigmoid gate (<c>shared_expert_gate</c>), or null.</param>
/// <param name="FusedInput">Fused [E, 2F, d] gate+up tensor (Granite <c>input_linear</c>), or null.</param>
/// <param name="FusedOutput">Fused [E, d, F] down tensor (Granite <c>output_linear</c>), or null.</param>
public sealed record MoeTensorNames(
    string Block, string Router, string? Experts, string GateProj, string UpProj, string DownProj,
    string? SharedExpert = null, string? SharedExpertGate = null, string? FusedInput = null, string? FusedOutput = null)
{
    /// <summary>Mixtral's names.</summary>
    public static readonly MoeTensorNames Mixtral = new("block_sparse_moe", "gate", "experts", "w1", "w3", "w2");

    /// <summary>Qwen2-MoE's names (with the gated shared expert).</summary>
    public static readonly MoeTensorNames Qwen2Moe = new("mlp", "gate", "experts", "gate_proj", "up_proj", "down_proj", "shared_expert", "shared_expert_gate");

    /// <summary>Qwen3-MoE's and OLMoE's names (and Switchyard's own).</summary>
    public static readonly MoeTensorNames Qwen = new("mlp", "gate", "experts", "gate_proj", "up_proj", "down_proj");

    /// <summary>Granite-MoE's names (fused expert tensors).</summary>
    public static readonly MoeTensorNames Granite = new("block_sparse_moe", "router.layer", null, "gate_proj", "up_proj", "down_proj",
        FusedInput: "input_linear", FusedOutput: "output_linear");

    /// <summary>Full name of layer <paramref name="layer"/>'s router weight, e.g. <c>model.layers.3.mlp.gate.weight</c>.</summary>
    public string RouterWeight(int layer) => $"{LayerPrefix(layer)}.{Block}.{Router}.weight";

    /// <summary>
    /// Full name of expert <paramref name="expert"/>'s projection <paramref name="projection"/> (one of
    /// <see cref="GateProj"/>, <see cref="UpProj"/>, <see cref="DownProj"/>) in layer <paramref name="layer"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The architecture fuses its experts (no per-expert tensors).</exception>
    public string ExpertWeight(int layer, int expert, string projection) => Experts is null
        ? throw new InvalidOperationException($"{Block}: experts are fused into {FusedInput}/{FusedOutput}")
        : $"{LayerPrefix(layer)}.{Block}.{Experts}.{expert.ToString(CultureInfo.InvariantCulture)}.{projection}.weight";

    static string LayerPrefix(int layer) => "model.layers." + layer.ToString(CultureInfo.InvariantCulture);
}
