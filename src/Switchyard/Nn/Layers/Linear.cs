using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Nn.Layers;

/// <summary>
/// Affine layer y = x·Wᵀ + b with W stored [out, in] as PyTorch and Hugging Face do, so
/// checkpoint tensors load without transposing. Parameters: <c>weight</c>, optional <c>bias</c>.
/// </summary>
public sealed class Linear : Module, ILinearLayer
{
    /// <summary>Creates the layer with W ~ N(0, initStd²) (HF <c>initializer_range</c>, 0.02) and b = 0.</summary>
    /// <param name="inFeatures">Input width.</param>
    /// <param name="outFeatures">Output width.</param>
    /// <param name="rng">Source of the initial weights (deterministic).</param>
    /// <param name="bias">Whether the layer has a bias.</param>
    /// <param name="initStd">Standard deviation of the initial weights; 0 gives zeros.</param>
    /// <exception cref="ArgumentOutOfRangeException">A width is not positive or the std is negative.</exception>
    public Linear(int inFeatures, int outFeatures, Rng rng, bool bias = false, float initStd = 0.02f)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        ArgumentOutOfRangeException.ThrowIfNegative(initStd);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = AddParameter(new Parameter("weight", new Shape(outFeatures, inFeatures)));
        if (initStd > 0) rng.FillNormal(Weight.Value.Span, initStd);
        if (bias) Bias = AddParameter(new Parameter("bias", new Shape(outFeatures)) { WeightDecay = false });
    }

    /// <summary>y = x·Wᵀ + b for <paramref name="x"/> [..., in]; y is [..., out].</summary>
    /// <exception cref="ShapeMismatchException">x's last axis is not <see cref="InFeatures"/>.</exception>
    public Var Forward(Tape tape, Var x)
    {
        ArgumentNullException.ThrowIfNull(tape);
        return tape.Linear(x, Weight.Use(tape), Bias?.Use(tape));
    }

    /// <summary>Input width.</summary>
    public int InFeatures { get; }

    /// <summary>Output width.</summary>
    public int OutFeatures { get; }

    /// <summary>The weight, [out, in].</summary>
    public Parameter Weight { get; }

    /// <summary>The bias, [out], or null.</summary>
    public Parameter? Bias { get; }
}
