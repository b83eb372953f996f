using Switchyard.Autograd;

namespace Switchyard.Nn;

/// <summary>
/// A layer that maps [rows, in] to [rows, out] like a <see cref="Layers.Linear"/>: the plain
/// layer or a LoRA-wrapped one. Blocks hold their projections through this interface so an
/// adapter can replace a projection in place (<see cref="Layers.LoraLinear.Wrap"/>).
/// </summary>
public interface ILinearLayer
{
    /// <summary>Input width.</summary>
    int InFeatures { get; }

    /// <summary>Output width.</summary>
    int OutFeatures { get; }

    /// <summary>Maps <paramref name="x"/> [..., in] to [..., out] on <paramref name="tape"/>.</summary>
    Var Forward(Tape tape, Var x);
}
