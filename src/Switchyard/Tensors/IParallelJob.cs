namespace Switchyard.Tensors;

/// <summary>
/// Work split into a fixed number of parts. Kernels keep one job object per kind and reuse
/// it, so dispatching work to threads allocates nothing.
/// </summary>
public interface IParallelJob
{
    /// <summary>Runs part <paramref name="part"/> of <paramref name="parts"/>. Parts must not depend on each other.</summary>
    void Execute(int part, int parts);
}
