namespace Switchyard.Routing.Catalog;

/// <summary>Options of the <c>noisy-mlp</c> router (T2MIR's token-wise gate, arXiv 2506.05426); defaults are the reference config's.</summary>
public sealed record NoisyMlpRouterOptions
{
    /// <summary>Experts per token (reference token-wise MoE: top-2 of 6).</summary>
    public int K { get; init; } = 2;

    /// <summary>Noisy gating in training: logits += ε·(softplus(x·W_noise) + noise_epsilon), W_noise zero-initialised.</summary>
    public bool Noisy { get; init; } = true;

    /// <summary>The constant added to the learned noise std (reference 0.01).</summary>
    public float NoiseEpsilon { get; init; } = 0.01f;

    /// <summary>Coefficient of the CV² balance loss α·(CV²(importance) + CV²(load)) (reference 0.01); 0 = off.</summary>
    public float CvAlpha { get; init; } = 0.01f;
}
