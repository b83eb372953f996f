namespace Switchyard.Data;

/// <summary>
/// One part (train or validation) of one mixture source, tokenized and concatenated:
/// each document's ids followed by EOS, with per-document labels and, where documents mark
/// answers, a per-token loss mask. Labels are per document and looked up per window, so
/// memory is one int per token (plus a byte for masked sources).
/// </summary>
internal sealed class TokenStream
{
    public int[] Tokens = [];
    /// <summary>Null when every token counts; else 1 on answer tokens.</summary>
    public byte[]? Mask;
    /// <summary>Token index where each document starts (ascending), then the total length.</summary>
    public int[] DocStarts = [0];
    public int[] DocDomain = [], DocTask = [], DocLanguage = [];
    public int Source;

    public int Length => Tokens.Length;
    public int Documents => DocStarts.Length - 1;

    public static TokenStream Build(IReadOnlyList<Document> docs, ITokenizer tokenizer, LabelSet labels, int source)
    {
        var ids = new List<int>();
        List<byte>? mask = docs.Any(d => d.Answers.Count > 0) ? [] : null;
        var s = new TokenStream
        {
            Source = source,
            DocStarts = new int[docs.Count + 1],
            DocDomain = new int[docs.Count],
            DocTask = new int[docs.Count],
            DocLanguage = new int[docs.Count],
        };
        for (int i = 0; i < docs.Count; i++)
        {
            Document d = docs[i];
            s.DocStarts[i] = ids.Count;
            s.DocDomain[i] = labels.DomainId(d.Domain ?? LabelSet.None);
            s.DocTask[i] = labels.TaskId(d.Task ?? LabelSet.TextTask);
            s.DocLanguage[i] = labels.LanguageId(d.Language ?? LabelSet.None);
            if (d.Answers.Count == 0)
            {
                int before = ids.Count;
                tokenizer.Encode(d.Text, ids);
                ids.Add(tokenizer.EosId);
                for (int k = before; k < ids.Count; k++) mask?.Add(1);
            }
            else
            {
                // Encode the text piece by piece at answer boundaries so that a token is
                // wholly inside or outside an answer: the mask is exact for any tokenizer.
                int at = 0;
                foreach (CharSpan a in d.Answers.OrderBy(a => a.Start))
                {
                    if (a.Start < at || a.End > d.Text.Length)
                        throw new SwitchyardException($"document '{d.Id}': answer span {a.Start}+{a.Length} overlaps another or leaves the text ({d.Text.Length} chars)");
                    Piece(d.Text.AsSpan(at, a.Start - at), 0);
                    Piece(d.Text.AsSpan(a.Start, a.Length), 1);
                    at = a.End;
                }
                Piece(d.Text.AsSpan(at), 0);
                ids.Add(tokenizer.EosId);
                mask!.Add(0); // what follows an example is unpredictable: EOS is not scored
            }
        }
        s.DocStarts[docs.Count] = ids.Count;
        s.Tokens = [.. ids];
        s.Mask = mask is null ? null : [.. mask];
        return s;

        void Piece(ReadOnlySpan<char> text, byte value)
        {
            int before = ids.Count;
            tokenizer.Encode(text, ids);
            for (int k = before; k < ids.Count; k++) mask!.Add(value);
        }
    }

    /// <summary>The document holding token <paramref name="position"/>.</summary>
    public int DocumentAt(int position)
    {
        int i = Array.BinarySearch(DocStarts, position);
        return i >= 0 ? i : ~i - 1;
    }
}
