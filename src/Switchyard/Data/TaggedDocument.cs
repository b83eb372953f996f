namespace Switchyard.Data;

/// <summary>
/// Part-of-speech tags of one Brown document, aligned to that document's text: token i
/// starts at <see cref="Starts"/>[i] and runs to the next whitespace or the next token's
/// start. Tags are the original Brown tag set (e.g. <c>nn</c>, <c>vbd</c>, <c>np-tl</c>).
/// </summary>
public sealed class TaggedDocument
{
    internal TaggedDocument(string id, string[] tags, int[] starts, int[] sentences)
    {
        Id = id; Tags = tags; Starts = starts; Sentences = sentences;
    }

    /// <summary>The document id (same as in <see cref="Corpus.Brown"/>).</summary>
    public string Id { get; }

    /// <summary>One tag per token.</summary>
    public IReadOnlyList<string> Tags { get; }

    /// <summary>Character offset of each token in the document text.</summary>
    public IReadOnlyList<int> Starts { get; }

    /// <summary>Index of the first token of each sentence.</summary>
    public IReadOnlyList<int> Sentences { get; }

    /// <summary>Number of tokens.</summary>
    public int Count => Tags.Count;

    /// <summary>The character span of token <paramref name="i"/> in <paramref name="text"/> (the document's text).</summary>
    public CharSpan TokenSpan(string text, int i)
    {
        int start = Starts[i];
        int limit = i + 1 < Starts.Count ? Starts[i + 1] : text.Length;
        int end = start;
        while (end < limit && !char.IsWhiteSpace(text[end])) end++;
        return new CharSpan(start, end - start);
    }

    /// <summary>The tag of the token covering character <paramref name="offset"/>, or null between tokens.</summary>
    public string? TagAt(string text, int offset)
    {
        int i = Starts is int[] a ? Array.BinarySearch(a, offset) : -1;
        if (i < 0) i = ~i - 1;
        if (i < 0) return null;
        CharSpan span = TokenSpan(text, i);
        return offset < span.End ? Tags[i] : null;
    }
}
