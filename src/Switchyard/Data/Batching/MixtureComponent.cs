namespace Switchyard.Data;

/// <summary>One source of a <see cref="DataMixture"/>.</summary>
/// <param name="Name">Source label (e.g. <c>brown</c>).</param>
/// <param name="Split">Its train and validation documents.</param>
/// <param name="Weight">Relative probability that a training window comes from this source (&gt; 0).</param>
public sealed record MixtureComponent(string Name, CorpusSplit Split, double Weight);
