using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Nn.Layers;

/// <summary>
/// Root-mean-square norm over the last axis, y = x / √(mean(x²) + ε) · w (Llama, Qwen).
/// Parameter <c>weight</c> [dim], initialised to 1 and excluded from weight decay.
/// </summary>
public sealed class RmsNorm : Module
{
    /// <summary>Creates the norm with weight 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">dim is not positive or eps is negative.</exception>
    public RmsNorm(int dim, float eps = 1e-6f)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "must be ≥ 0");
        Dim = dim;
        Eps = eps;
        Weight = AddParameter(new Parameter("weight", new Shape(dim)) { WeightDecay = false });
        Weight.Value.Span.Fill(1f);
    }

    /// <summary>Normalizes <paramref name="x"/> [..., dim] over its last axis.</summary>
    /// <exception cref="ShapeMismatchException">x's last axis is not <see cref="Dim"/>.</exception>
    public Var Forward(Tape tape, Var x)
    {
        ArgumentNullException.ThrowIfNull(tape);
        return tape.RmsNorm(x, Weight.Use(tape), Eps);
    }

    /// <summary>Normalized width.</summary>
    public int Dim { get; }

    /// <summary>ε added to the mean square (HF <c>rms_norm_eps</c>).</summary>
    public float Eps { get; }

    /// <summary>The scale, [dim].</summary>
    public Parameter Weight { get; }
}
