using Switchyard.Models;

namespace Switchyard.Training;

/// <summary>How to run a recipe (not part of the experiment: changes none of its numbers).</summary>
public sealed record TrainOptions
{
    /// <summary>Stop (with a checkpoint) after this step although the recipe has more; null = run to the end.</summary>
    public int? StopAfter { get; init; }

    /// <summary>GEMM peak FLOP/s for MFU; null = measure for ~0.3 s at start.</summary>
    public double? PeakFlops { get; init; }

    /// <summary>Called before each step with the model (fault injection in tests).</summary>
    internal Action<int, DecoderModel>? BeforeStep { get; init; }
}
