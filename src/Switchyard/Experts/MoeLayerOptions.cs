namespace Switchyard.Experts;

/// <summary>
/// Configuration of a <see cref="MoeLayer"/> built by <see cref="MoeLayer.Create"/>; the fields
/// map to Hugging Face <c>config.json</c> (<c>num_experts</c>, <c>moe_intermediate_size</c>,
/// <c>shared_expert_intermediate_size</c>, ...). Fine-grained segmentation (DeepSeekMoE,
/// shared/specs/baselines.md §8) splits each of the E experts of width F into m experts of width
/// F/m and routes to k·m of the E·m: same FLOPs and parameters, more combinations.
/// </summary>
public sealed record MoeLayerOptions
{
    /// <summary>Model width d.</summary>
    public required int ModelDim { get; init; }

    /// <summary>Number of routed experts E before segmentation.</summary>
    public required int Experts { get; init; }

    /// <summary>Width F of each routed expert before segmentation.</summary>
    public required int ExpertWidth { get; init; }

    /// <summary>Router catalog name (<c>top-k</c>, <c>mixtral</c>, <c>sigmoid-bias</c>, ...).</summary>
    public string Router { get; init; } = "top-k";

    /// <summary>Typed options of the router (e.g. <c>TopKRouterOptions</c>), or null for its defaults; k is multiplied by <see cref="Segments"/>.</summary>
    public object? RouterOptions { get; init; }

    /// <summary>Fine-grained segmentation factor m ≥ 1: E·m experts of width F/m (F must be a multiple of m), k·m active.</summary>
    public int Segments { get; init; } = 1;

    /// <summary>Number of always-on shared experts K_s (0 = none). They are stored as one SwiGLU MLP of width K_s·F/m (the sum of K_s experts).</summary>
    public int SharedExperts { get; init; }

    /// <summary>Total shared width, overriding K_s·F/m when positive (Qwen2-MoE <c>shared_expert_intermediate_size</c>).</summary>
    public int SharedExpertWidth { get; init; }

    /// <summary>Qwen2-MoE's per-token sigmoid gate on the shared expert output (<c>shared_expert_gate</c>).</summary>
    public bool SharedExpertGate { get; init; }

    /// <summary>Child name of the shared expert: <c>shared_expert</c> (Qwen2-MoE) or <c>shared_experts</c> (DeepSeek).</summary>
    public string SharedExpertName { get; init; } = "shared_expert";

    /// <summary>How per-expert weights are named.</summary>
    public ExpertNaming Naming { get; init; } = ExpertNaming.Projections;

    /// <summary>Standard deviation of the initial expert and shared weights (HF <c>initializer_range</c>).</summary>
    public float InitStd { get; init; } = 0.02f;

    /// <summary>Token frequencies of the training corpus (by token id), for routers built from them (frequency-balanced hash routing); empty when unknown.</summary>
    public ReadOnlyMemory<long> TokenCounts { get; init; }

    /// <summary>Routed experts after segmentation, E·m.</summary>
    public int RoutedExperts => Experts * Segments;

    /// <summary>Width of a routed expert after segmentation, F/m.</summary>
    public int RoutedWidth => ExpertWidth / Segments;

    /// <summary>Width of the shared SwiGLU MLP (0 when there are no shared experts).</summary>
    public int SharedWidth => SharedExpertWidth > 0 ? SharedExpertWidth : SharedExperts * RoutedWidth;
}
