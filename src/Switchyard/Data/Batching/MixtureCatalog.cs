namespace Switchyard.Data;

/// <summary>
/// The data mixtures a recipe can name (<c>"data": { "mixture": NAME }</c>): the bundled mixture,
/// each of its sources alone (domain-shift experiments train on one and evaluate on another), and
/// the synthetic mixtures methods' experiments need. Each builds a <see cref="DataMixture"/>
/// from a tokenizer, a seed and the validation share, deterministically.
/// </summary>
public static class MixtureCatalog
{
    /// <summary>Builds a mixture: every component split with <c>seed</c>, <c>validationFraction</c> of it held out.</summary>
    public delegate DataMixture Builder(ITokenizer tokenizer, ulong seed, double validationFraction);

    /// <summary>The default mixture's name.</summary>
    public const string Default = "bundled";

    static readonly SortedDictionary<string, (string Summary, Builder Build)> s_entries = new(StringComparer.Ordinal)
    {
        [Default] = ("Brown (0.5) + UDHR (0.3) + synthetic tasks (0.2)", (t, s, v) => DataMixture.Bundled(t, s, v)),
        ["brown"] = ("the Brown corpus alone (15 genres, English)", (t, s, v) => new DataMixture(t, [new MixtureComponent("brown", Corpus.Brown().Split(v, s), 1)])),
        ["udhr"] = ("the UDHR alone (every bundled language)", (t, s, v) => new DataMixture(t, [new MixtureComponent("udhr", Corpus.Udhr().Split(v, s), 1)])),
        ["interleaved"] = ("Brown text and synthetic-task lines in alternating 64–256-character segments (modality switches inside windows; every token scored)", (t, s, v) => new DataMixture(t, [new MixtureComponent("interleaved", InterleavedCorpus.CreateSplit(v, s), 1)])),
        [UdhrFamilyMixture.Name] = ("six UDHR languages of two families (Germanic: eng, deu_1996, nld; Romance: fra, spa, ita)", (t, s, v) => UdhrFamilyMixture.Build(t, s, v, heldOut: false)),
        [UdhrFamilyMixture.HeldOutName] = ("udhr-six, plus swe and por_PT (one unseen language per family) in validation only", (t, s, v) => UdhrFamilyMixture.Build(t, s, v, heldOut: true)),
        ["tasks"] = ("the synthetic tasks alone (2000 train, 200 validation examples per task)", (t, s, v) => new DataMixture(t, [new MixtureComponent("tasks", SyntheticTasks.CreateSplit(2000, 200, s), 1)])),
    };

    /// <summary>The mixture names, sorted.</summary>
    public static IReadOnlyCollection<string> Names => s_entries.Keys;

    /// <summary>One line describing mixture <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such mixture (the message lists the names).</exception>
    public static string Summary(string name) => Entry(name).Summary;

    /// <summary>Builds mixture <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such mixture (the message lists the names).</exception>
    public static DataMixture Build(string name, ITokenizer tokenizer, ulong seed, double validationFraction)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return Entry(name).Build(tokenizer, seed, validationFraction);
    }

    static (string Summary, Builder Build) Entry(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return s_entries.TryGetValue(name, out var e) ? e
            : throw new ArgumentException($"unknown data mixture '{name}' (known: {string.Join(", ", s_entries.Keys)})", nameof(name));
    }
}
