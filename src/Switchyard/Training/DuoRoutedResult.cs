namespace Switchyard.Training;

/// <summary>A duo model evaluated with its own routers (<see cref="DuoOracle.Routed"/>): mean loss over the probed tokens and the share of each slot over all tokens and layers.</summary>
/// <param name="Loss">Mean loss (nats/token) over the probed tokens.</param>
/// <param name="BigFraction">Share of (token, layer) pairs routed big: the average big-layer count is this × L.</param>
/// <param name="SmallFraction">Share routed small.</param>
/// <param name="SkipFraction">Share that skipped the layer.</param>
public sealed record DuoRoutedResult(double Loss, double BigFraction, double SmallFraction, double SkipFraction);
