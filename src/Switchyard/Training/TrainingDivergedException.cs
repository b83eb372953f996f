namespace Switchyard.Training;

/// <summary>
/// A step produced a NaN or infinity. The message names the step, the layer and the op (or
/// parameter) where the first non-finite value appeared, and the last good checkpoint, which
/// is left untouched.
/// </summary>
public sealed class TrainingDivergedException : SwitchyardException
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException(string message, int step, int? layer, string? op, int lastCheckpointStep)
        : base(message)
    {
        Step = step; Layer = layer; Op = op; LastCheckpointStep = lastCheckpointStep;
    }

    /// <summary>The step that diverged.</summary>
    public int Step { get; }

    /// <summary>The decoder layer of the first non-finite value, or null (embeddings, head, unknown).</summary>
    public int? Layer { get; }

    /// <summary>The op (forward) or parameter (gradient) where it appeared.</summary>
    public string? Op { get; }

    /// <summary>Step of the checkpoint kept in the run directory (0 = none written).</summary>
    public int LastCheckpointStep { get; }
}
