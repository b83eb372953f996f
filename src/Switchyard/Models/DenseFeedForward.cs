using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Nn.Layers;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// The dense SwiGLU MLP, down_proj(silu(gate_proj(x))·up_proj(x)), with Hugging Face children
/// <c>gate_proj</c>, <c>up_proj</c> [intermediate, d] and <c>down_proj</c> [d, intermediate].
/// Projections can be replaced (LoRA) as in <see cref="SwiGluMlp"/>.
/// </summary>
public sealed class DenseFeedForward : FeedForwardBlock
{
    /// <summary>Creates the block with N(0, initStd²) weights.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A width is not positive.</exception>
    public DenseFeedForward(int hiddenSize, int intermediateSize, Rng rng, float initStd = 0.02f)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(intermediateSize);
        HiddenSize = hiddenSize;
        IntermediateSize = intermediateSize;
        GateProj = AddModule("gate_proj", new Linear(hiddenSize, intermediateSize, rng, initStd: initStd));
        UpProj = AddModule("up_proj", new Linear(hiddenSize, intermediateSize, rng, initStd: initStd));
        DownProj = AddModule("down_proj", new Linear(intermediateSize, hiddenSize, rng, initStd: initStd));
    }

    /// <inheritdoc/>
    public override int HiddenSize { get; }

    /// <summary>Inner width.</summary>
    public int IntermediateSize { get; }

    /// <summary>The gate projection.</summary>
    public ILinearLayer GateProj { get; private set; }

    /// <summary>The up projection.</summary>
    public ILinearLayer UpProj { get; private set; }

    /// <summary>The down projection.</summary>
    public ILinearLayer DownProj { get; private set; }

    /// <inheritdoc/>
    public override Var Forward(Tape tape, Var x, in LayerContext context)
    {
        ArgumentNullException.ThrowIfNull(tape);
        return DownProj.Forward(tape, tape.SwiGlu(GateProj.Forward(tape, x), UpProj.Forward(tape, x)));
    }

    /// <inheritdoc/>
    protected override void OnChildReplaced(string name, Module child)
    {
        switch (name)
        {
            case "gate_proj": GateProj = Check(child, name, HiddenSize, IntermediateSize); break;
            case "up_proj": UpProj = Check(child, name, HiddenSize, IntermediateSize); break;
            case "down_proj": DownProj = Check(child, name, IntermediateSize, HiddenSize); break;
            default: base.OnChildReplaced(name, child); break;
        }
    }

    internal static ILinearLayer Check(Module child, string name, int inFeatures, int outFeatures)
    {
        if (child is not ILinearLayer l)
            throw new ArgumentException($"child '{name}' must be a linear layer, got {child.GetType().Name}", nameof(child));
        if (l.InFeatures != inFeatures || l.OutFeatures != outFeatures)
            throw new ArgumentException($"child '{name}' must map {inFeatures} → {outFeatures}, got {l.InFeatures} → {l.OutFeatures}", nameof(child));
        return l;
    }
}
