namespace Switchyard.Data;

/// <summary>
/// A named, ordered collection of documents with unique ids: the bundled Brown corpus and
/// UDHR (embedded in the assembly), a corpus file, or generated synthetic tasks.
/// </summary>
public sealed class Corpus
{
    /// <summary>Embedded resource name of the Brown corpus text.</summary>
    public const string BrownResource = "brown.jsonl.gz";

    /// <summary>Embedded resource name of the Brown corpus part-of-speech tags.</summary>
    public const string BrownTagsResource = "brown-pos.jsonl.gz";

    /// <summary>Embedded resource name of the UDHR translations.</summary>
    public const string UdhrResource = "udhr.jsonl.gz";

    // Lazy: concurrent first callers (parallel tests, threads) wait for one load instead of each parsing the file.
    static readonly Lazy<Corpus> s_brown = new(() => new Corpus("brown", CorpusFile.ReadResource(BrownResource)));
    static readonly Lazy<Corpus> s_udhr = new(() => new Corpus("udhr", CorpusFile.ReadResource(UdhrResource)));

    readonly Document[] _documents;

    /// <summary>Creates a corpus from documents.</summary>
    /// <exception cref="ArgumentException">Two documents share an id.</exception>
    public Corpus(string name, IEnumerable<Document> documents)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        _documents = [.. documents];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (Document d in _documents)
            if (!seen.Add(d.Id)) throw new ArgumentException($"corpus '{name}' has two documents with id '{d.Id}'", nameof(documents));
    }

    /// <summary>The corpus name (used as the source label in mixtures).</summary>
    public string Name { get; }

    /// <summary>The documents, in file order.</summary>
    public IReadOnlyList<Document> Documents => _documents;

    /// <summary>Total characters over all documents.</summary>
    public long Characters => _documents.Sum(d => (long)d.Text.Length);

    /// <summary>Distinct domain labels, ordinal order (documents without a domain are left out).</summary>
    public IReadOnlyList<string> Domains =>
        [.. _documents.Select(d => d.Domain).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    /// <summary>
    /// The Brown corpus (Francis and Kučera, 1961): 500 documents of ~2000 words, each with
    /// its genre (one of 15) as domain; language <c>eng</c>. Loaded once and cached.
    /// </summary>
    public static Corpus Brown() => s_brown.Value;

    /// <summary>
    /// The Universal Declaration of Human Rights in 41 languages: one document per language
    /// and section (preamble = <c>code/00</c>, articles <c>code/01</c>…<c>code/30</c>), domain =
    /// language code. Split keys are per article, so splits hold out whole articles in every
    /// language at once. Loaded once and cached.
    /// </summary>
    public static Corpus Udhr() => s_udhr.Value;

    /// <summary>
    /// Loads a corpus file in the bundled format (JSON Lines, one record per line, gzip or
    /// plain; see data/README.md). The corpus is named after the file.
    /// </summary>
    /// <exception cref="InvalidCorpusFileException">The file is unreadable or a line is malformed; the message names file and line.</exception>
    public static Corpus Load(string path)
    {
        string name = Path.GetFileName(path);
        foreach (string ext in (string[])[".gz", ".jsonl", ".json"])
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) name = name[..^ext.Length];
        return new Corpus(name.Length > 0 ? name : "corpus", CorpusFile.ReadFile(path));
    }

    /// <summary>
    /// Splits into train and validation, deterministically from <paramref name="seed"/>.
    /// Documents sharing a <see cref="Document.SplitKey"/> land on the same side, so the two
    /// parts never share a document. Stratified: every domain with at least two keys gets
    /// round(fraction × its keys) validation keys (at least one, and at least one left for training).
    /// </summary>
    /// <param name="validationFraction">Share of each domain's split keys held out, in [0, 1).</param>
    /// <param name="seed">Chooses which keys are held out; the same seed gives the same split everywhere.</param>
    public CorpusSplit Split(double validationFraction = 0.1, ulong seed = 0)
    {
        if (!(validationFraction >= 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must be in [0, 1)");

        // Keys of each domain, and domains of each key.
        var keysOfDomain = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var domainsOfKey = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (Document d in _documents)
        {
            string domain = d.Domain ?? "";
            if (!keysOfDomain.TryGetValue(domain, out var keys)) keysOfDomain[domain] = keys = new(StringComparer.Ordinal);
            keys.Add(d.SplitKey);
            if (!domainsOfKey.TryGetValue(d.SplitKey, out var domains)) domainsOfKey[d.SplitKey] = domains = [];
            if (!domains.Contains(domain)) domains.Add(domain);
        }

        var need = new Dictionary<string, int>(StringComparer.Ordinal);
        var trainLeft = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (domain, keys) in keysOfDomain)
        {
            int n = keys.Count;
            need[domain] = validationFraction == 0 || n < 2 ? 0 : Math.Clamp((int)Math.Round(validationFraction * n), 1, n - 1);
            trainLeft[domain] = n;
        }

        // Visit keys in seeded pseudo-random order (ties: ordinal). A key goes to validation
        // when some domain still needs one and none of its domains would lose its last
        // training key. With one domain per key (Brown) this is a per-domain shuffle; with
        // keys shared by all domains (UDHR articles) every language holds out the same articles.
        string[] order = [.. domainsOfKey.Keys];
        Array.Sort(order, (a, b) =>
        {
            int c = StableHash.Of(a, seed).CompareTo(StableHash.Of(b, seed));
            return c != 0 ? c : string.CompareOrdinal(a, b);
        });
        var validationKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (string key in order)
        {
            List<string> domains = domainsOfKey[key];
            if (!domains.Any(d => need[d] > 0) || domains.Any(d => trainLeft[d] <= 1)) continue;
            validationKeys.Add(key);
            foreach (string d in domains) { need[d]--; trainLeft[d]--; }
        }

        var train = new List<Document>();
        var validation = new List<Document>();
        foreach (Document d in _documents) (validationKeys.Contains(d.SplitKey) ? validation : train).Add(d);
        return new CorpusSplit(new Corpus(Name, train), new Corpus(Name, validation));
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {_documents.Length} documents";
}
