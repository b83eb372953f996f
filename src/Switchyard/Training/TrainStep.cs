namespace Switchyard.Training;

/// <summary>Progress of a run after one optimizer step (what <c>IProgress&lt;TrainStep&gt;</c> receives).</summary>
/// <param name="Step">Steps done (1-based).</param>
/// <param name="TotalSteps">Steps in the recipe.</param>
/// <param name="Loss">Training cross-entropy of this step's batch (nats/token, auxiliary losses excluded).</param>
/// <param name="LearningRate">The learning rate this step used.</param>
/// <param name="TokensPerSecond">Training tokens per second since the run (or resume) started.</param>
/// <param name="Mfu">Model FLOPs utilisation: achieved training FLOP/s over the measured GEMM peak.</param>
/// <param name="ValidationLoss">Validation loss when this step evaluated, else null.</param>
/// <param name="Elapsed">Wall time since the run (or resume) started.</param>
/// <param name="Remaining">Estimated time to the last step.</param>
public readonly record struct TrainStep(
    int Step, int TotalSteps, double Loss, double LearningRate, double TokensPerSecond, double Mfu, double? ValidationLoss,
    TimeSpan Elapsed, TimeSpan Remaining);
