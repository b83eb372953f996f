namespace Switchyard.Training;

/// <summary>
/// The measure a claim is about when it is not the validation loss (<c>"metric": { "name": …, "better": "lower" }</c>
/// in a reproduction file), e.g. a routing-fluctuation rate or task purity; the reproduction's procedure records it
/// per seed in <see cref="ComparisonRow.Metrics"/> and the verdict pairs it by seed like the loss.
/// </summary>
/// <param name="Name">Metric name, as the procedure records it.</param>
/// <param name="HigherIsBetter">Whether the claim is that the method's value is higher (else lower).</param>
public sealed record ReproductionMetric(string Name, bool HigherIsBetter);
