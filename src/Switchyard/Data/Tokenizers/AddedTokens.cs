namespace Switchyard.Data.Tokenizers;

/// <summary>A token matched in the text before normalization and the model (tokenizer.json's added_tokens).</summary>
internal sealed record AddedToken(int Id, string Content, bool Special, bool Normalized = false,
    bool LStrip = false, bool RStrip = false, bool SingleWord = false);

/// <summary>
/// Finds added tokens in text, leftmost first and longest at a position (as the tokenizers library's
/// Aho-Corasick LeftmostLongest), honouring lstrip/rstrip (surrounding whitespace is absorbed) and
/// single_word (no match inside a word).
/// </summary>
internal sealed class AddedTokenMatcher
{
    readonly Dictionary<char, AddedToken[]> _byFirst = [];

    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        foreach (var g in tokens.Where(t => t.Content.Length > 0).GroupBy(t => t.Content[0]))
            _byFirst[g.Key] = [.. g.OrderByDescending(t => t.Content.Length).ThenBy(t => t.Id)];
    }

    public bool IsEmpty => _byFirst.Count == 0;

    /// <summary>Cuts <paramref name="text"/> into (text, null) stretches and (null, token) matches, in order.</summary>
    public void Split(string text, List<(string? Text, AddedToken? Token)> output)
    {
        if (IsEmpty) { if (text.Length > 0) output.Add((text, null)); return; }
        int emitted = 0; // text before this index has been output
        int i = 0;
        while (i < text.Length)
        {
            if (!_byFirst.TryGetValue(text[i], out var candidates) || !TryMatch(text, i, candidates, out var token))
            {
                i++;
                continue;
            }
            int start = i, end = i + token.Content.Length;
            if (token.LStrip) while (start > emitted && char.IsWhiteSpace(text[start - 1])) start--;
            if (token.RStrip) while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
            if (start > emitted) output.Add((text[emitted..start], null));
            output.Add((null, token));
            emitted = i = end;
        }
        if (emitted < text.Length) output.Add((text[emitted..], null));
    }

    static bool TryMatch(string text, int i, AddedToken[] candidates, out AddedToken token)
    {
        foreach (var t in candidates)
        {
            if (i + t.Content.Length > text.Length || string.CompareOrdinal(text, i, t.Content, 0, t.Content.Length) != 0) continue;
            if (t.SingleWord && ((i > 0 && IsWordChar(text[i - 1])) || (i + t.Content.Length < text.Length && IsWordChar(text[i + t.Content.Length]))))
                continue;
            token = t;
            return true;
        }
        token = null!;
        return false;
    }

    static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
}
