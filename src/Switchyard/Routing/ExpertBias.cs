namespace Switchyard.Routing;

/// <summary>
/// Per-expert selection bias b (DeepSeek-V3 auxiliary-loss-free balancing): added to the
/// affinities only to choose experts, never to the gate weights, and not a trained parameter.
/// Shared by the selector that reads it and the balancer that updates it. Save it with the
/// checkpoint (HF name <c>e_score_correction_bias</c>).
/// </summary>
public sealed class ExpertBias
{
    /// <summary>Creates a zero bias for <paramref name="experts"/> experts.</summary>
    /// <exception cref="ArgumentOutOfRangeException">experts &lt; 1.</exception>
    public ExpertBias(int experts)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        Values = new float[experts];
    }

    /// <summary>The bias per expert (readable and writable, e.g. when loading a checkpoint).</summary>
    public float[] Values { get; }

    /// <summary>Number of experts.</summary>
    public int Experts => Values.Length;
}
