namespace Switchyard.Training;

/// <summary>What a <see cref="DuoOracle"/> analysis measured: mean losses (nats/token; bits per byte = nats / ln 2 for byte tokens) over the probed tokens.</summary>
/// <param name="Layers">L, the model's duo layers.</param>
/// <param name="Tokens">Probed tokens the means are over.</param>
/// <param name="AllBig">Every token big in every layer.</param>
/// <param name="AllSmall">Every token small in every layer.</param>
/// <param name="Budgets">Oracle and random baselines per budget B.</param>
public sealed record DuoOracleReport(int Layers, int Tokens, double AllBig, double AllSmall, IReadOnlyList<DuoBudgetResult> Budgets);
