namespace Switchyard.Training;

/// <summary>Validation loss of one group of tokens (a source, domain, task or language).</summary>
/// <param name="Name">The label, e.g. <c>news</c>, <c>fra</c>, <c>copy</c>.</param>
/// <param name="Loss">Mean loss in nats per token.</param>
/// <param name="Tokens">Tokens counted.</param>
public sealed record GroupLoss(string Name, double Loss, long Tokens);
