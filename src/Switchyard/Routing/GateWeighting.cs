namespace Switchyard.Routing;

/// <summary>How the gate weight of a kept (item, expert) assignment derives from the probabilities p.</summary>
public enum GateWeighting
{
    /// <summary>w = scale·p[item, expert] (Switch top-1, expert choice, OLMoE <c>norm_topk_prob = false</c>).</summary>
    Probability,

    /// <summary>
    /// w = scale·p[item, expert] / Σ p over the item's selected experts (GShard/Mixtral top-2,
    /// Qwen3 <c>norm_topk_prob = true</c>, DeepSeek-V3 with <c>routed_scaling_factor</c>);
    /// over its kept experts instead when <see cref="GateSpec.RenormalizeAfterDrop"/>.
    /// </summary>
    Normalized,

    /// <summary>w = scale, not differentiable (hash routing).</summary>
    Constant,

    /// <summary>
    /// Straight-through: w = scale·p/sg(p), i.e. the value is scale (the chosen expert's output enters at full
    /// weight, as under random routing) while the gradient is that of scale·p divided by the value of p
    /// (∂w/∂p = scale/p). Hard top-1 choices trained by the language-model loss (Duo-LLM's routers).
    /// </summary>
    StraightThrough,
}
