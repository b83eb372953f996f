namespace Switchyard.Experts;

/// <summary>How the per-expert weights of a SwiGLU expert set are named in checkpoints (Hugging Face conventions).</summary>
public enum ExpertNaming
{
    /// <summary><c>experts.{e}.gate_proj.weight</c>, <c>up_proj</c>, <c>down_proj</c>: Qwen2-MoE, Qwen3-MoE, OLMoE, DeepSeek.</summary>
    Projections,

    /// <summary><c>experts.{e}.w1.weight</c> (gate), <c>w3</c> (up), <c>w2</c> (down): Mixtral's <c>block_sparse_moe</c>.</summary>
    Mixtral,
}
