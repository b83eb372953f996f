namespace Switchyard.Training;

/// <summary>Routing statistics of one MoE layer in a training step.</summary>
/// <param name="Layer">Decoder layer index.</param>
/// <param name="Router">Catalog name of its router.</param>
/// <param name="Load">Fraction of kept assignments per expert.</param>
/// <param name="LoadCv">Coefficient of variation of the load (0 = balanced).</param>
/// <param name="DroppedFraction">Dropped / selected assignments.</param>
/// <param name="Entropy">Mean router entropy per token (nats).</param>
/// <param name="ExpertsPerToken">Mean kept experts per token.</param>
/// <param name="AuxLosses">Each auxiliary loss: name, raw value, coefficient.</param>
/// <param name="FlopsPerToken">Forward expert FLOPs per token of the step (kept assignments and shared experts; router excluded).</param>
public sealed record LayerRouting(
    int Layer, string Router, float[] Load, float LoadCv, float DroppedFraction, float Entropy, float ExpertsPerToken,
    IReadOnlyList<(string Name, float Value, float Coefficient)> AuxLosses, double FlopsPerToken)
{
    /// <summary>Fewest kept experts of any token in the step.</summary>
    public int ExpertsPerTokenMin { get; init; }

    /// <summary>Most kept experts of any token in the step.</summary>
    public int ExpertsPerTokenMax { get; init; }

    /// <summary>Tokens with 0, 1, …, E kept experts in the step.</summary>
    public int[] ExpertsPerTokenHistogram { get; init; } = [];

    /// <summary>Null-expert selections / all selections (0 without null experts).</summary>
    public float NullFraction { get; init; }
}
