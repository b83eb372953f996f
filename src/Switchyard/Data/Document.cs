namespace Switchyard.Data;

/// <summary>
/// One unit of text with the labels that evaluation groups losses by. A document is also
/// the unit of train/validation splitting: a document is wholly on one side.
/// </summary>
public sealed class Document
{
    /// <summary>Identifier, unique within its corpus (e.g. <c>ca01</c>, <c>fra/17</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The plain text.</summary>
    public required string Text { get; init; }

    /// <summary>
    /// Domain label that splits are stratified by and per-domain losses are reported for:
    /// the genre for Brown, the language code for the UDHR, the task name for synthetic tasks.
    /// </summary>
    public string? Domain { get; init; }

    /// <summary>Language code (the UDHR's code, e.g. <c>deu_1996</c>; <c>eng</c> for Brown); null for non-linguistic text.</summary>
    public string? Language { get; init; }

    /// <summary>Language family or branch label (e.g. <c>Germanic</c>, <c>Bantu</c>).</summary>
    public string? Family { get; init; }

    /// <summary>Writing system (e.g. <c>Latin</c>, <c>Cyrillic</c>, <c>Han</c>).</summary>
    public string? Script { get; init; }

    /// <summary>Synthetic task name (e.g. <c>rev</c>); null for natural text.</summary>
    public string? Task { get; init; }

    /// <summary>
    /// Documents with the same key always fall on the same side of a split. Defaults to
    /// <see cref="Id"/>; UDHR articles share one key per article number so that no
    /// translation of a validation article is trained on.
    /// </summary>
    public string SplitKey
    {
        get => _splitKey ?? Id;
        init => _splitKey = value;
    }
    readonly string? _splitKey;

    /// <summary>
    /// Character spans that are answers (synthetic tasks): only their tokens count toward the
    /// loss. Empty means every token counts.
    /// </summary>
    public IReadOnlyList<CharSpan> Answers { get; init; } = [];

    /// <inheritdoc/>
    public override string ToString() => $"{Id} ({Domain ?? "-"}, {Text.Length} chars)";
}
