namespace Switchyard.Data;

/// <summary>Everything a <see cref="TokenBatcher"/> needs to continue exactly where it was: saved in checkpoints.</summary>
/// <param name="S0">Random generator state word 0.</param>
/// <param name="S1">Random generator state word 1.</param>
/// <param name="S2">Random generator state word 2.</param>
/// <param name="S3">Random generator state word 3.</param>
/// <param name="Step">Batches drawn so far.</param>
public readonly record struct TokenBatcherState(ulong S0, ulong S1, ulong S2, ulong S3, long Step);
