using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Nn.Layers;

/// <summary>Token embedding table: <c>weight</c> [vocabulary, dim]; row i is token i's vector.</summary>
public sealed class Embedding : Module
{
    /// <summary>Creates the table with entries ~ N(0, initStd²) (HF <c>initializer_range</c>, 0.02).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or the std is negative.</exception>
    public Embedding(int vocabularySize, int dim, Rng rng, float initStd = 0.02f)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabularySize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        ArgumentOutOfRangeException.ThrowIfNegative(initStd);
        VocabularySize = vocabularySize;
        Dim = dim;
        Weight = AddParameter(new Parameter("weight", new Shape(vocabularySize, dim)));
        if (initStd > 0) rng.FillNormal(Weight.Value.Span, initStd);
    }

    /// <summary>Rows of the table for <paramref name="ids"/>: [ids.Length, dim].</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, vocabulary).</exception>
    public Var Forward(Tape tape, ReadOnlySpan<int> ids)
    {
        ArgumentNullException.ThrowIfNull(tape);
        for (int i = 0; i < ids.Length; i++)
            if ((uint)ids[i] >= (uint)VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(ids), ids[i], $"token id at {i} is outside the vocabulary [0, {VocabularySize})");
        return tape.Embedding(Weight.Use(tape), ids);
    }

    /// <summary>Number of rows (tokens).</summary>
    public int VocabularySize { get; }

    /// <summary>Embedding width.</summary>
    public int Dim { get; }

    /// <summary>The table, [vocabulary, dim].</summary>
    public Parameter Weight { get; }
}
