using Switchyard.Autograd;

namespace Switchyard.Routing;

/// <summary>
/// The queries and keys of the attention block that feeds an MoE layer, as that block used them (after
/// projection, norms and RoPE), so a router can rebuild the attention probabilities (the attention-aware
/// graph-of-tokens router, shared/specs/token-routers.md §7): the fused attention kernel never materialises them.
/// Valid until the tape is reset. A struct: publishing it each pass allocates nothing.
/// </summary>
/// <param name="Queries">[batch, seq, heads, head_dim].</param>
/// <param name="Keys">[batch, seq, kv_heads, head_dim].</param>
/// <param name="Scale">The score scale the attention used (1/√head_dim, or Granite's multiplier).</param>
public readonly record struct AttentionInputs(Var Queries, Var Keys, float Scale);
