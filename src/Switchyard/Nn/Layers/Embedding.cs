using Switchyard.Tensors;

namespace Switchyard.Nn.Layers;

/// <summary>Token embedding table: <c>weight</c> [vocabulary, dim]; row i is token i's vector.</summary>
public sealed partial class Embedding : Module
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

    /// <summary>Number of rows (tokens).</summary>
    public int VocabularySize { get; }

    /// <summary>Embedding width.</summary>
    public int Dim { get; }

    /// <summary>The table, [vocabulary, dim].</summary>
    public Parameter Weight { get; }
}
