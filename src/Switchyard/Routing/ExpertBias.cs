using Switchyard.Nn;
using Switchyard.Tensors;

namespace Switchyard.Routing;

/// <summary>
/// Per-expert selection bias b (DeepSeek-V3 auxiliary-loss-free balancing): added to the
/// affinities only to choose experts, never to the gate weights, and not a trained parameter.
/// Shared by the selector that reads it and the balancer that updates it.
/// </summary>
public sealed class ExpertBias
{
    /// <summary>Creates a zero bias for <paramref name="experts"/> experts.</summary>
    /// <exception cref="ArgumentOutOfRangeException">experts &lt; 1.</exception>
    public ExpertBias(int experts)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        Values = new float[experts];
        // Same storage as Values: checkpoints save and load it; optimizers skip it (not trainable).
        Parameter = new Parameter("e_score_correction_bias", new Tensor(Values, new Shape(experts))) { Trainable = false, WeightDecay = false };
    }

    /// <summary>The bias per expert (readable and writable, e.g. when loading a checkpoint).</summary>
    public float[] Values { get; }

    /// <summary>
    /// The bias as a frozen parameter over the same storage, named as DeepSeek-V3's
    /// <c>gate.e_score_correction_bias</c>, for the MoE layer to register so checkpoints carry it.
    /// </summary>
    public Parameter Parameter { get; }

    /// <summary>Number of experts.</summary>
    public int Experts => Values.Length;
}
