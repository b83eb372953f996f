using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Nn.Layers;

/// <summary>
/// Low-rank adaptation of a linear layer (Hu et al. 2021): y = base(x) + (α/r)·B·A·x with the
/// base frozen. Children follow PEFT's names: <c>base_layer</c> (the wrapped
/// <see cref="Linear"/>), <c>lora_A</c> ([r, in]) and <c>lora_B</c> ([out, r]), so a wrapped
/// <c>q_proj</c> saves <c>q_proj.base_layer.weight</c>, <c>q_proj.lora_A.weight</c> and
/// <c>q_proj.lora_B.weight</c>.
/// </summary>
/// <remarks>
/// A starts as PEFT's default, Kaiming-uniform with a = √5, i.e. U(−1/√in, 1/√in); B starts at
/// zero, so the output equals the base layer's until training moves B.
/// </remarks>
public sealed class LoraLinear : Module, ILinearLayer
{
    /// <summary>Wraps <paramref name="baseLayer"/> and freezes its parameters.</summary>
    /// <param name="baseLayer">The layer to adapt; its parameters become non-trainable.</param>
    /// <param name="rank">r, the adapter rank.</param>
    /// <param name="alpha">α; the update is scaled by α/r.</param>
    /// <param name="rng">Source of A's initial values.</param>
    /// <exception cref="ArgumentOutOfRangeException">rank is not positive.</exception>
    public LoraLinear(Linear baseLayer, int rank, float alpha, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(baseLayer);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rank);
        Rank = rank;
        Alpha = alpha;
        Scaling = alpha / rank;
        BaseLayer = AddModule("base_layer", baseLayer);
        baseLayer.SetTrainable(false);
        LoraA = AddModule("lora_A", new Linear(baseLayer.InFeatures, rank, rng, initStd: 0));
        float bound = 1f / MathF.Sqrt(baseLayer.InFeatures);
        rng.FillUniform(LoraA.Weight.Value.Span, -bound, bound);
        LoraB = AddModule("lora_B", new Linear(rank, baseLayer.OutFeatures, rng, initStd: 0));
    }

    /// <summary>
    /// Replaces the linear child <paramref name="name"/> of <paramref name="parent"/> by a LoRA
    /// wrapper of it and returns the wrapper.
    /// </summary>
    /// <exception cref="ArgumentException">No such child, or it is not a plain <see cref="Linear"/>.</exception>
    public static LoraLinear Wrap(Module parent, string name, int rank, float alpha, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(parent);
        Module? child = null;
        foreach (var (n, c) in parent.Children)
            if (n == name) child = c;
        if (child is not Linear linear)
            throw new ArgumentException($"{parent.GetType().Name} has no Linear child named '{name}'", nameof(name));
        var lora = new LoraLinear(linear, rank, alpha, rng);
        parent.ReplaceChild(name, lora);
        return lora;
    }

    /// <summary>base(x) + (α/r)·B·A·x; the base enters as constants, so only A and B get gradients.</summary>
    public Var Forward(Tape tape, Var x)
    {
        ArgumentNullException.ThrowIfNull(tape);
        Var y = BaseLayer.Forward(tape, x);
        Var delta = LoraB.Forward(tape, LoraA.Forward(tape, x));
        return tape.Add(y, tape.Scale(delta, Scaling));
    }

    /// <inheritdoc/>
    public int InFeatures => BaseLayer.InFeatures;

    /// <inheritdoc/>
    public int OutFeatures => BaseLayer.OutFeatures;

    /// <summary>Adapter rank r.</summary>
    public int Rank { get; }

    /// <summary>α.</summary>
    public float Alpha { get; }

    /// <summary>α/r, the factor on B·A·x.</summary>
    public float Scaling { get; }

    /// <summary>The frozen base layer.</summary>
    public Linear BaseLayer { get; }

    /// <summary>A, [r, in].</summary>
    public Linear LoraA { get; }

    /// <summary>B, [out, r], zero at creation.</summary>
    public Linear LoraB { get; }
}
