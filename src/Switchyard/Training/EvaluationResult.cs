namespace Switchyard.Training;

/// <summary>Validation loss over the evaluated batches, overall and per label.</summary>
/// <param name="Loss">Mean loss in nats per counted token.</param>
/// <param name="Tokens">Tokens counted (loss mask 1).</param>
/// <param name="BySource">Per mixture source (brown, udhr, tasks).</param>
/// <param name="ByDomain">Per domain (Brown genre, UDHR language code, task name).</param>
/// <param name="ByTask">Per task (<c>text</c> for natural text).</param>
/// <param name="ByLanguage">Per language.</param>
public sealed record EvaluationResult(
    double Loss, long Tokens, IReadOnlyList<GroupLoss> BySource, IReadOnlyList<GroupLoss> ByDomain,
    IReadOnlyList<GroupLoss> ByTask, IReadOnlyList<GroupLoss> ByLanguage)
{
    /// <summary>exp(<see cref="Loss"/>).</summary>
    public double Perplexity => Math.Exp(Loss);
}
