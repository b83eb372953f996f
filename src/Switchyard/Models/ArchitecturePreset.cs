namespace Switchyard.Models;

/// <summary>
/// What Switchyard knows about one Hugging Face <c>model_type</c>: the defaults of its transformers
/// config class, which <c>config.json</c> fields that class has, how it names experts, and the
/// behaviour its modelling code hard-wires (Qwen2's q/k/v biases, Qwen3's and OLMoE's q/k norms,
/// Qwen2-MoE's gated shared expert).
/// </summary>
/// <param name="ModelType">The <c>model_type</c> string.</param>
/// <param name="ArchitectureClass">The transformers class written to <c>architectures</c>.</param>
/// <param name="DenseModelType">The dense architecture a dense control is written as.</param>
/// <param name="Defaults">The config class's defaults, used for fields a file omits.</param>
/// <param name="Fields">The modelled fields the config class has (written even when the source file lacked them).</param>
/// <param name="ExpertCountField"><c>num_local_experts</c> or <c>num_experts</c>; null for dense architectures.</param>
/// <param name="MoeNames">Tensor names of its MoE blocks.</param>
/// <param name="ImplicitQkvBias">q/k/v projections have biases without a config field (Qwen2, Qwen2-MoE).</param>
/// <param name="SharedExpertGate">The shared expert's output is gated by sigmoid(x·w) (Qwen2-MoE).</param>
public sealed record ArchitecturePreset(
    string ModelType, string ArchitectureClass, string DenseModelType, ModelConfig Defaults, IReadOnlySet<string> Fields,
    string? ExpertCountField, MoeTensorNames MoeNames, bool ImplicitQkvBias = false, bool SharedExpertGate = false);
