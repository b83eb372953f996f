using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Nn.Layers;

/// <summary>
/// The Llama/Qwen feed-forward block, down_proj(silu(gate_proj(x)) · up_proj(x)), with
/// children <c>gate_proj</c>, <c>up_proj</c> [intermediate, hidden] and <c>down_proj</c>
/// [hidden, intermediate], no biases.
/// </summary>
public sealed class SwiGluMlp : Module
{
    /// <summary>Creates the block with N(0, initStd²) weights.</summary>
    public SwiGluMlp(int hiddenSize, int intermediateSize, Rng rng, float initStd = 0.02f)
    {
        HiddenSize = hiddenSize;
        IntermediateSize = intermediateSize;
        GateProj = AddModule("gate_proj", new Linear(hiddenSize, intermediateSize, rng, initStd: initStd));
        UpProj = AddModule("up_proj", new Linear(hiddenSize, intermediateSize, rng, initStd: initStd));
        DownProj = AddModule("down_proj", new Linear(intermediateSize, hiddenSize, rng, initStd: initStd));
    }

    /// <summary>down_proj(silu(gate_proj(x)) · up_proj(x)) for <paramref name="x"/> [..., hidden].</summary>
    public Var Forward(Tape tape, Var x)
    {
        ArgumentNullException.ThrowIfNull(tape);
        return DownProj.Forward(tape, tape.SwiGlu(GateProj.Forward(tape, x), UpProj.Forward(tape, x)));
    }

    /// <inheritdoc/>
    protected override void OnChildReplaced(string name, Module child)
    {
        switch (name)
        {
            case "gate_proj": GateProj = LinearSlot.Check(child, name, HiddenSize, IntermediateSize); break;
            case "up_proj": UpProj = LinearSlot.Check(child, name, HiddenSize, IntermediateSize); break;
            default: DownProj = LinearSlot.Check(child, name, IntermediateSize, HiddenSize); break;
        }
    }

    /// <summary>Model width.</summary>
    public int HiddenSize { get; }

    /// <summary>Inner width.</summary>
    public int IntermediateSize { get; }

    /// <summary>The gate projection.</summary>
    public ILinearLayer GateProj { get; private set; }

    /// <summary>The up projection.</summary>
    public ILinearLayer UpProj { get; private set; }

    /// <summary>The down projection.</summary>
    public ILinearLayer DownProj { get; private set; }
}
