namespace Switchyard.Data;

/// <summary>
/// The names behind the per-token label ids a <see cref="TokenBatch"/> carries: id i of each
/// kind is index i of its list. Built once per <see cref="DataMixture"/>, in ordinal order of
/// names (sources: component order), so ids are stable for the same data.
/// </summary>
public sealed class LabelSet
{
    /// <summary>Task label of natural text (documents without a task).</summary>
    public const string TextTask = "text";

    /// <summary>Label of documents without a language or domain.</summary>
    public const string None = "none";

    /// <summary>
    /// Modality names, id = index: natural text (Brown, UDHR) and the synthetic tasks' digits and
    /// symbols, the two "modalities" the bundled data has (modality-aware routers, MoIIE).
    /// </summary>
    public static IReadOnlyList<string> Modalities { get; } = ["text", "task"];

    /// <summary>Modality id of natural text.</summary>
    public const int TextModality = 0;

    /// <summary>Modality id of synthetic-task tokens.</summary>
    public const int TaskModality = 1;

    /// <summary>
    /// Role names, id = index: a token of natural text, of a task's prompt (not scored), or of a
    /// task's answer (scored): the deterministic token classes role-aware routers read (ProMoE).
    /// </summary>
    public static IReadOnlyList<string> Roles { get; } = ["text", "prompt", "answer"];

    /// <summary>Role ids (<see cref="Roles"/>).</summary>
    public const int TextRole = 0, PromptRole = 1, AnswerRole = 2;

    internal LabelSet(string[] sources, string[] domains, string[] tasks, string[] languages, string[] families)
    {
        Sources = sources; Domains = domains; Tasks = tasks; Languages = languages; LanguageFamilies = families;
        _domain = Index(domains); _task = Index(tasks); _language = Index(languages);
        Families = Sorted(families.Where(f => f != None));
        var family = Index([.. Families]);
        _familyOfLanguage = [.. families.Select(f => family.GetValueOrDefault(f, -1))];
    }

    readonly int[] _familyOfLanguage;

    /// <summary>Language-family names, sorted, without <see cref="None"/>: family id i is index i.</summary>
    public IReadOnlyList<string> Families { get; }

    /// <summary>Family id (<see cref="Families"/>) of language id <paramref name="languageId"/>, or -1 when it has none or the id is out of range.</summary>
    public int FamilyId(int languageId) => (uint)languageId < (uint)_familyOfLanguage.Length ? _familyOfLanguage[languageId] : -1;

    readonly Dictionary<string, int> _domain, _task, _language;

    /// <summary>Mixture component names.</summary>
    public IReadOnlyList<string> Sources { get; }

    /// <summary>Domain names (genres, language codes, task names).</summary>
    public IReadOnlyList<string> Domains { get; }

    /// <summary>Task names; <see cref="TextTask"/> for natural text.</summary>
    public IReadOnlyList<string> Tasks { get; }

    /// <summary>Language codes; <see cref="None"/> for synthetic tasks.</summary>
    public IReadOnlyList<string> Languages { get; }

    /// <summary>Family of each language id (parallel to <see cref="Languages"/>; <see cref="None"/> when unknown).</summary>
    public IReadOnlyList<string> LanguageFamilies { get; }

    /// <summary>Id of a domain name, or -1.</summary>
    public int DomainId(string name) => _domain.GetValueOrDefault(name, -1);

    /// <summary>Id of a task name, or -1.</summary>
    public int TaskId(string name) => _task.GetValueOrDefault(name, -1);

    /// <summary>Id of a language code, or -1.</summary>
    public int LanguageId(string name) => _language.GetValueOrDefault(name, -1);

    internal static LabelSet Build(IReadOnlyList<MixtureComponent> components)
    {
        var docs = components.SelectMany(c => c.Split.Train.Documents.Concat(c.Split.Validation.Documents)).ToList();
        string[] domains = Sorted(docs.Select(d => d.Domain ?? None));
        string[] tasks = Sorted(docs.Select(d => d.Task ?? TextTask));
        string[] languages = Sorted(docs.Select(d => d.Language ?? None));
        var family = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Document d in docs)
            if (d.Language is { } l && d.Family is { } f) family.TryAdd(l, f);
        return new LabelSet([.. components.Select(c => c.Name)], domains, tasks, languages,
            [.. languages.Select(l => family.GetValueOrDefault(l, None))]);
    }

    static string[] Sorted(IEnumerable<string> names) => [.. names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    static Dictionary<string, int> Index(string[] names)
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < names.Length; i++) d[names[i]] = i;
        return d;
    }
}
