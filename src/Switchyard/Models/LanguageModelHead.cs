using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// <c>lm_head</c>: logits = x·Wᵀ with W [vocab, d], no bias. Tied, W is the embedding table's own
/// <see cref="Parameter"/> (one tensor, one gradient), so <see cref="Module.NamedParameters"/> lists it
/// once as <c>model.embed_tokens.weight</c> and checkpoints hold no <c>lm_head.weight</c>, as
/// transformers saves tied models.
/// </summary>
public sealed class LanguageModelHead : Module
{
    /// <summary>An untied head with N(0, initStd²) weights.</summary>
    public LanguageModelHead(int hiddenSize, int vocabSize, Rng rng, float initStd)
    {
        ArgumentNullException.ThrowIfNull(rng);
        Weight = AddParameter(new Parameter("weight", new Shape(vocabSize, hiddenSize)));
        if (initStd > 0) rng.FillNormal(Weight.Value.Span, initStd);
    }

    /// <summary>A head tied to <paramref name="embedding"/> (the same Parameter object).</summary>
    public LanguageModelHead(Parameter embedding)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        Weight = AddParameter(embedding);
        Tied = true;
    }

    /// <summary>W, [vocab, d].</summary>
    public Parameter Weight { get; }

    /// <summary>Whether <see cref="Weight"/> is the embedding table.</summary>
    public bool Tied { get; }

    /// <summary>Logits [rows, vocab] of <paramref name="x"/> [rows, d].</summary>
    public Var Forward(Tape tape, Var x)
    {
        ArgumentNullException.ThrowIfNull(tape);
        return tape.Linear(x, Weight.Use(tape));
    }
}
