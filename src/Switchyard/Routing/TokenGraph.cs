namespace Switchyard.Routing;

/// <summary>Which graph of tokens a graph-mixing router (<see cref="Scorers.GraphMixScorer"/>) mixes the gate distributions over.</summary>
public enum TokenGraph
{
    /// <summary>A learned similarity: causal row-softmax of (X·W_sᵀ)(X·W_sᵀ)ᵀ/τ (Similarity-Aware SMoE).</summary>
    Similarity,

    /// <summary>The preceding attention block's causal attention probabilities, averaged over heads (Attention-Aware SMoE).</summary>
    Attention,
}
