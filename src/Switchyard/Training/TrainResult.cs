namespace Switchyard.Training;

/// <summary>What a finished (or stopped) run reports.</summary>
/// <param name="RunDirectory">Where the checkpoint, metrics and recipe are.</param>
/// <param name="Step">The last step done (and checkpointed).</param>
/// <param name="TotalSteps">Steps in the recipe.</param>
/// <param name="TrainLoss">Cross-entropy of the last step's batch.</param>
/// <param name="Validation">The last evaluation, or null when none ran.</param>
/// <param name="UnigramEntropy">Entropy (nats/token) of the training split's unigram distribution, mixture-weighted: the loss of a model that ignores context.</param>
/// <param name="TokensPerSecond">Training tokens per second (evaluation and checkpoints excluded).</param>
/// <param name="Mfu">Model FLOPs utilisation against <paramref name="PeakFlops"/>.</param>
/// <param name="PeakFlops">GEMM peak FLOP/s the MFU is measured against.</param>
/// <param name="FlopsPerToken">Training FLOPs per token (3 × forward, active experts).</param>
/// <param name="Layers">Routing statistics of the last step, per MoE layer.</param>
/// <param name="Elapsed">Wall time of this invocation.</param>
public sealed record TrainResult(
    string RunDirectory, int Step, int TotalSteps, double TrainLoss, EvaluationResult? Validation, double UnigramEntropy,
    double TokensPerSecond, double Mfu, double PeakFlops, double FlopsPerToken, IReadOnlyList<LayerRouting> Layers, TimeSpan Elapsed);
