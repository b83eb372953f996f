namespace Switchyard.Training;

/// <summary>Whether a paper's claim held in a <see cref="Reproduction"/> run (docs/methods.md).</summary>
public enum ReproductionVerdict
{
    /// <summary>Every part of the claim held.</summary>
    Reproduced,

    /// <summary>Some part held, or the loss part held only within the seeds' noise.</summary>
    Partly,

    /// <summary>The claim did not hold.</summary>
    NotReproduced,
}
