using Switchyard.Nn;
using Switchyard.Tensors;

namespace Switchyard.Experts;

/// <summary>
/// One expert of a <see cref="SwiGluExperts"/> set as Hugging Face names it: children
/// <c>gate_proj</c>, <c>up_proj</c>, <c>down_proj</c> (or Mixtral's <c>w1</c>, <c>w3</c>, <c>w2</c>),
/// each with a <c>weight</c> whose value and gradient are views into the stacked buffers. Writing
/// a view writes the stack, so checkpoints load per expert while compute stays grouped.
/// </summary>
public sealed class SwiGluExpertView : Module
{
    internal SwiGluExpertView(ExpertNaming naming, Parameter gate, Parameter up, Parameter down)
    {
        bool mixtral = naming == ExpertNaming.Mixtral;
        // Registration order = HF module order, so parameter order matches a per-expert SwiGluMlp.
        AddModule(mixtral ? "w1" : "gate_proj", new WeightSlot(gate));
        if (mixtral)
        {
            AddModule("w2", new WeightSlot(down));
            AddModule("w3", new WeightSlot(up));
        }
        else
        {
            AddModule("up_proj", new WeightSlot(up));
            AddModule("down_proj", new WeightSlot(down));
        }
        Gate = gate;
        Up = up;
        Down = down;
    }

    /// <summary>The gate projection [F, d] (HF <c>gate_proj.weight</c> / <c>w1.weight</c>).</summary>
    public Parameter Gate { get; }

    /// <summary>The up projection [F, d] (HF <c>up_proj.weight</c> / <c>w3.weight</c>).</summary>
    public Parameter Up { get; }

    /// <summary>The down projection [d, F] (HF <c>down_proj.weight</c> / <c>w2.weight</c>).</summary>
    public Parameter Down { get; }

    // The projection level of the name: a module holding one parameter named "weight".
    sealed class WeightSlot : Module
    {
        public WeightSlot(Parameter weight) => AddParameter(weight);
    }
}
