namespace Switchyard.Models;

/// <summary>
/// Parameter counts and FLOPs per token of a configuration, computed from the config alone (no
/// weights), so they are cheap even for a 30B checkpoint. The trainer reports MFU from them and
/// <c>compare</c> reports FLOPs per token (shared/specs/baselines.md, "Metrics").
/// </summary>
/// <remarks>
/// <para>"Embedding" means both <c>embed_tokens</c> and an untied <c>lm_head</c>; a tied head is
/// counted once. Biases and norm weights count as parameters but not as FLOPs.</para>
/// <para>FLOPs: a multiply-add is 2 FLOPs. Per token, every weight matrix a token passes through
/// costs 2·rows·cols (the embedding lookup costs nothing; the lm_head matmul counts when
/// <c>includeEmbedding</c>). Attention scores and the weighted sum cost 4·heads·head_dim·context
/// per layer, where context is the number of keys attended: for training over sequences of T
/// tokens pass T (the PaLM/Kaplan convention; the exact causal mean is (T+1)/2).</para>
/// </remarks>
public static class ModelCost
{
    /// <summary>Total parameters.</summary>
    public static long Parameters(ModelConfig config, bool includeEmbedding = true) =>
        Count(config, includeEmbedding, active: false, matmulOnly: false);

    /// <summary>Parameters one token uses: every routed expert counts k times of E (shared experts and routers fully).</summary>
    public static long ActiveParameters(ModelConfig config, bool includeEmbedding = true) =>
        Count(config, includeEmbedding, active: true, matmulOnly: false);

    /// <summary>Attention score and value FLOPs per token over all layers at <paramref name="context"/> keys: 4·L·heads·head_dim·context.</summary>
    public static double AttentionFlopsPerToken(ModelConfig config, int context)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfNegative(context);
        return 4.0 * config.NumHiddenLayers * config.NumAttentionHeads * config.EffectiveHeadDim * context;
    }

    /// <summary>
    /// Forward FLOPs per token: 2 × the weights it multiplies (active experts only when
    /// <paramref name="active"/>; all experts otherwise, as if every token visited each) plus attention at <paramref name="context"/>.
    /// </summary>
    public static double ForwardFlopsPerToken(ModelConfig config, int context, bool active = true, bool includeEmbedding = true) =>
        2.0 * Count(config, includeEmbedding, active, matmulOnly: true) + AttentionFlopsPerToken(config, context);

    /// <summary>Training FLOPs per token: forward + backward ≈ 3 × forward.</summary>
    public static double TrainingFlopsPerToken(ModelConfig config, int context, bool includeEmbedding = true) =>
        3.0 * ForwardFlopsPerToken(config, context, active: true, includeEmbedding);

    static long Count(ModelConfig c, bool includeEmbedding, bool active, bool matmulOnly)
    {
        ArgumentNullException.ThrowIfNull(c);
        long d = c.HiddenSize, v = c.VocabSize, hd = c.EffectiveHeadDim;
        long q = c.NumAttentionHeads * hd, kv = c.KeyValueHeads * hd;
        long n = 0;
        if (includeEmbedding)
        {
            // The lookup is free; the head's matmul is not (tied or not).
            if (!matmulOnly) n += v * d;
            if (matmulOnly || !c.TieWordEmbeddings) n += v * d;
        }
        if (!matmulOnly) n += d; // final norm
        bool qkvBias = c.AttentionBias || (c.Preset?.ImplicitQkvBias ?? false);
        for (int layer = 0; layer < c.NumHiddenLayers; layer++)
        {
            n += d * q + 2 * d * kv + q * d;
            if (!matmulOnly)
            {
                n += 2 * d; // input and post-attention norms
                if (qkvBias) n += q + 2 * kv;
                if (c.AttentionBias) n += d;
                n += c.QkNorm switch { QkNormKind.PerHead => 2 * hd, QkNormKind.FullProjection => q + kv, _ => 0 };
            }
            if (c.LayerKind(layer) == FeedForwardKind.Dense)
            {
                n += 3 * d * c.IntermediateSize;
                continue;
            }
            long experts = c.NumExperts, f = c.ExpertIntermediateSize, s = c.SharedIntermediateSize;
            n += d * experts; // router
            n += (active ? c.NumExpertsPerTok : experts) * 3 * d * f;
            if (s > 0)
            {
                n += 3 * d * s;
                if (c.Preset?.SharedExpertGate ?? false) n += d;
            }
        }
        return n;
    }
}
