namespace Switchyard.Training;

/// <summary>One router's results in a <see cref="RouterComparison"/>, over its seeds.</summary>
/// <param name="Router">Catalog name, or <see cref="RouterComparison.Dense"/> for the dense control.</param>
/// <param name="Seeds">Runs (one per seed).</param>
/// <param name="ValLossMean">Mean final validation loss (nats/token).</param>
/// <param name="ValLossStd">Sample standard deviation of the final validation loss (0 for one seed).</param>
/// <param name="ExpertsPerToken">Mean kept experts per token (last step, mean over MoE layers); NaN for the dense control.</param>
/// <param name="ExpertFlopsPerToken">Forward expert FLOPs per token, summed over MoE layers (last step); for the dense control, the forward FLOPs of its dense FFNs.</param>
/// <param name="LoadCv">Mean coefficient of variation of expert load (last step, mean over layers).</param>
/// <param name="DroppedFraction">Mean dropped fraction of assignments.</param>
/// <param name="TokensPerSecond">Mean training tokens/s.</param>
/// <param name="RunDirectories">The runs' directories.</param>
/// <param name="TrainCurve">Training cross-entropy per step (index = step − 1), mean over the seeds.</param>
/// <param name="ValidationCurve">Validation loss at each evaluated step, mean over the seeds.</param>
public sealed record ComparisonRow(
    string Router, int Seeds, double ValLossMean, double ValLossStd, double ExpertsPerToken, double ExpertFlopsPerToken,
    double LoadCv, double DroppedFraction, double TokensPerSecond, IReadOnlyList<string> RunDirectories,
    IReadOnlyList<double> TrainCurve, IReadOnlyList<(int Step, double Loss)> ValidationCurve)
{
    /// <summary>Final validation loss of each seed, in seed order (seed, seed+1, …): what <see cref="PairedDifference"/> pairs.</summary>
    public IReadOnlyList<double> ValLosses { get; init; } = [];

    /// <summary>
    /// Further measurements of each seed's run (name → one value per seed, in seed order), e.g. a routing-fluctuation
    /// rate or a task purity that a reproduction's <see cref="RouterComparison.RunMeasure"/> computed; empty when none.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<double>> Metrics { get; init; } = new Dictionary<string, IReadOnlyList<double>>();

    /// <summary>Mean over seeds of metric <paramref name="name"/>, or NaN when this row has none.</summary>
    public double MetricMean(string name) => Metrics.TryGetValue(name, out var v) && v.Count > 0 ? v.Average() : double.NaN;

    /// <summary>Whether this row is the dense control rather than a router.</summary>
    public bool IsDense => Router == RouterComparison.Dense;
}
