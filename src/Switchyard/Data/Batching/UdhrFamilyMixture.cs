namespace Switchyard.Data;

/// <summary>
/// The UDHR mixtures of the language-family experiment (ApolloMoE, arXiv 2410.10626; shared/specs/token-routers.md §14):
/// six languages of two families — Germanic (<c>eng</c>, <c>deu_1996</c>, <c>nld</c>) and Romance (<c>fra</c>,
/// <c>spa</c>, <c>ita</c>) — split as the UDHR is (every language holds out the same articles). The held-out variant
/// adds one more language of each family (<c>swe</c>, <c>por_PT</c>) to the validation split only, all of its
/// articles: languages never trained on, from families that were.
/// </summary>
public static class UdhrFamilyMixture
{
    /// <summary>Mixture name of the six training languages.</summary>
    public const string Name = "udhr-six";

    /// <summary>Mixture name of the six training languages plus the held-out ones in validation.</summary>
    public const string HeldOutName = "udhr-six-heldout";

    /// <summary>The six training languages.</summary>
    public static IReadOnlyList<string> Languages { get; } = ["eng", "deu_1996", "nld", "fra", "spa", "ita"];

    /// <summary>The languages only the validation split of <see cref="HeldOutName"/> holds.</summary>
    public static IReadOnlyList<string> HeldOutLanguages { get; } = ["swe", "por_PT"];

    /// <summary>The held-out languages of mixture <paramref name="mixture"/>: <see cref="HeldOutLanguages"/> for <see cref="HeldOutName"/>, else none.</summary>
    public static IReadOnlyList<string> HeldOutFor(string mixture) => mixture == HeldOutName ? HeldOutLanguages : [];

    /// <summary>Builds the mixture; with <paramref name="heldOut"/> the validation split also holds every article of the held-out languages.</summary>
    public static DataMixture Build(ITokenizer tokenizer, ulong seed, double validationFraction, bool heldOut)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var keep = new HashSet<string>(Languages, StringComparer.Ordinal);
        var held = new HashSet<string>(HeldOutLanguages, StringComparer.Ordinal);
        Corpus udhr = Corpus.Udhr();
        CorpusSplit split = new Corpus("udhr", udhr.Documents.Where(d => d.Language is { } l && keep.Contains(l))).Split(validationFraction, seed);
        if (heldOut)
            split = split with { Validation = new Corpus("udhr", split.Validation.Documents.Concat(udhr.Documents.Where(d => d.Language is { } l && held.Contains(l)))) };
        return new DataMixture(tokenizer, [new MixtureComponent("udhr", split, 1)]);
    }
}
