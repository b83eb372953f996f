namespace Switchyard.Nn.Optim;

/// <summary>
/// Updates a fixed set of parameters from their accumulated gradients. A step allocates
/// nothing; the state (moments and step count) exports and imports for checkpoints that
/// resume bit-identically.
/// </summary>
public interface IOptimizer
{
    /// <summary>Learning rate the next <see cref="Step"/> uses (a schedule sets it before each step).</summary>
    float LearningRate { get; set; }

    /// <summary>Number of steps taken (including those of an imported state).</summary>
    long StepCount { get; }

    /// <summary>Applies one update to every trainable parameter from its gradient.</summary>
    void Step();

    /// <summary>Zeroes the gradients of the managed parameters.</summary>
    void ZeroGrad();

    /// <summary>A copy of the optimizer's state: step count and per-parameter buffers.</summary>
    OptimizerState ExportState();

    /// <summary>Restores a state made by <see cref="ExportState"/> for the same parameters.</summary>
    /// <exception cref="SwitchyardException">Kind, buffer names or sizes do not match.</exception>
    void ImportState(OptimizerState state);
}
