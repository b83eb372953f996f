namespace Switchyard.Routing.Catalog;

/// <summary>
/// Options of the <c>read-me</c> router (Read-ME's pre-gating router, arXiv 2410.19123): a tiny causal model over token
/// ids (<see cref="Scorers.PreGateScorer"/>), top-1, weight = probability. The paper's router is a small causal
/// transformer whose sizes are not verified here; these are CPU-scale choices.
/// </summary>
public sealed record ReadMeRouterOptions
{
    /// <summary>Rows of the id embedding (larger ids are taken modulo; 256 = a byte tokenizer's ids).</summary>
    public int Vocab { get; init; } = 256;

    /// <summary>Tokens the router sees: the current one and Window − 1 before it.</summary>
    public int Window { get; init; } = 4;

    /// <summary>Embedding width w.</summary>
    public int Width { get; init; } = 32;

    /// <summary>Hidden width h of the router's one hidden layer.</summary>
    public int Hidden { get; init; } = 64;

    /// <summary>Load-balancing loss coefficient α (Switch convention); 0 = off.</summary>
    public float AuxAlpha { get; init; } = 0.01f;
}
