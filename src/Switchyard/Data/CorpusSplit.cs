namespace Switchyard.Data;

/// <summary>A corpus divided into a training part and a validation part that share no document and no split key.</summary>
/// <param name="Train">Documents to train on.</param>
/// <param name="Validation">Documents held out for evaluation.</param>
public sealed record CorpusSplit(Corpus Train, Corpus Validation);
