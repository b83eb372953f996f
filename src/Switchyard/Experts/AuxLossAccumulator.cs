using Switchyard.Autograd;

namespace Switchyard.Experts;

/// <summary>
/// Collects the auxiliary losses (already coefficient-weighted scalar Vars) that the routers of
/// several MoE layers return during one forward pass, so the trainer adds one total to the
/// task loss. Reuse one instance across steps: <see cref="Clear"/> at the start of each.
/// </summary>
public sealed class AuxLossAccumulator
{
    /// <summary>The sum of the losses added since <see cref="Clear"/>, or null when none (valid until the tape is reset).</summary>
    public Var? Total { get; private set; }

    /// <summary>Number of non-null losses added since <see cref="Clear"/>.</summary>
    public int Count { get; private set; }

    /// <summary>Adds <paramref name="loss"/> (ignored when null).</summary>
    public void Add(Tape tape, Var? loss)
    {
        ArgumentNullException.ThrowIfNull(tape);
        if (loss is null) return;
        Total = Total is null ? loss : tape.Add(Total, loss);
        Count++;
    }

    /// <summary>Forgets the losses of the previous step.</summary>
    public void Clear()
    {
        Total = null;
        Count = 0;
    }
}
