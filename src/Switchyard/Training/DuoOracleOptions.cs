namespace Switchyard.Training;

/// <summary>Settings of a <see cref="DuoOracle"/> analysis (Duo-LLM stage 2, arXiv 2410.10846).</summary>
public sealed record DuoOracleOptions
{
    /// <summary>Budgets B: the number of layers a token may run big in (the others run small).</summary>
    public IReadOnlyList<int> Budgets { get; init; } = [1, 2];

    /// <summary>Random patterns drawn per budget for the best-of-random baseline (paper: 100).</summary>
    public int RandomPatterns { get; init; } = 100;

    /// <summary>Probe every k-th position of each sequence (1 = every token); the others are context only.</summary>
    public int ProbeStride { get; init; } = 1;

    /// <summary>Exhaustive search over C(L, B) patterns when L ≤ this …</summary>
    public int ExhaustiveMaxLayers { get; init; } = 12;

    /// <summary>… and B ≤ this; greedy layer-by-layer search otherwise.</summary>
    public int ExhaustiveMaxBudget { get; init; } = 2;

    /// <summary>Seed of the random patterns.</summary>
    public ulong Seed { get; init; } = 1;
}
