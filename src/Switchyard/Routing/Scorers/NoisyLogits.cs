using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Routing.Scorers;

/// <summary>The parts of noisy logits h + σ∘ε: what the smooth load of noisy top-k (Shazeer et al.) differentiates.</summary>
/// <param name="Clean">The clean logits h [N, E].</param>
/// <param name="Std">The noise std σ [N, E].</param>
/// <param name="Noise">The standard normal draws ε [N, E] (constant).</param>
public readonly record struct NoisyLogits(Var Clean, Var Std, Tensor Noise);
