using System.Text.RegularExpressions;

namespace Switchyard.Data.Tokenizers;

/// <summary>
/// One tokenizer.json pre-tokenizer: cuts each piece into smaller pieces (merges never cross their
/// boundaries), possibly rewriting them. Applied in sequence, each to every piece of the previous one.
/// </summary>
internal abstract class PreTokenizerStep
{
    /// <summary>Appends the pieces of <paramref name="piece"/>. <paramref name="atTextStart"/>: the piece begins the input text.</summary>
    public abstract void Split(string piece, bool atTextStart, List<string> output);

    /// <summary>How a regex split keeps the matched delimiters (tokenizers' SplitDelimiterBehavior).</summary>
    public enum Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext }

    /// <summary>Split by a pattern; with <paramref name="invert"/>, the matches are the pieces and the gaps the delimiters.</summary>
    public sealed class RegexSplit(Regex regex, Behavior behavior, bool invert, string? source = null) : PreTokenizerStep
    {
        public Regex Pattern => regex;

        /// <summary>The pattern as written in the file (before <see cref="CodePointRegex"/>), or null for a literal.</summary>
        public string? Source => source;

        public override void Split(string piece, bool atTextStart, List<string> output)
        {
            // (start, end, isDelimiter) spans covering the piece.
            var spans = new List<(int Start, int End, bool Delimiter)>();
            int at = 0;
            foreach (ValueMatch m in regex.EnumerateMatches(piece))
            {
                if (m.Length == 0) continue;
                if (m.Index > at) spans.Add((at, m.Index, invert));
                spans.Add((m.Index, m.Index + m.Length, !invert));
                at = m.Index + m.Length;
            }
            if (at < piece.Length) spans.Add((at, piece.Length, invert));

            int pendingStart = -1; // MergedWithNext: a delimiter waiting for the following piece
            for (int k = 0; k < spans.Count; k++)
            {
                var (s, e, delim) = spans[k];
                switch (behavior)
                {
                    case Behavior.Isolated:
                        output.Add(piece[s..e]);
                        break;
                    case Behavior.Removed:
                        if (!delim) output.Add(piece[s..e]);
                        break;
                    case Behavior.MergedWithPrevious:
                        if (delim && k > 0 && !spans[k - 1].Delimiter) output[^1] += piece[s..e];
                        else output.Add(piece[s..e]);
                        break;
                    case Behavior.MergedWithNext:
                        if (delim) { if (pendingStart < 0) pendingStart = s; }
                        else { output.Add(piece[(pendingStart >= 0 ? pendingStart : s)..e]); pendingStart = -1; }
                        break;
                }
            }
            if (pendingStart >= 0) output.Add(piece[pendingStart..]);
        }
    }

    /// <summary>
    /// The ByteLevel pre-tokenizer: optional prefix space, optional GPT-2 regex split. The byte → character
    /// mapping itself is done by the byte-level model.
    /// </summary>
    public sealed class ByteLevelStep(bool addPrefixSpace, Regex? gpt2) : PreTokenizerStep
    {
        public bool AddPrefixSpace => addPrefixSpace;
        public Regex? Pattern => gpt2;

        public override void Split(string piece, bool atTextStart, List<string> output)
        {
            if (addPrefixSpace && !piece.StartsWith(' ')) piece = " " + piece;
            if (gpt2 is null) { output.Add(piece); return; }
            new RegexSplit(gpt2, Behavior.Isolated, invert: false).Split(piece, atTextStart, output);
        }
    }

    /// <summary>SentencePiece's whitespace handling: spaces become <c>▁</c>, a <c>▁</c> is prepended, optional split before each <c>▁</c>.</summary>
    public sealed class Metaspace(char replacement, string prependScheme, bool split) : PreTokenizerStep
    {
        public override void Split(string piece, bool atTextStart, List<string> output)
        {
            string s = piece.Replace(' ', replacement);
            bool prepend = prependScheme == "always" || (prependScheme == "first" && atTextStart);
            if (prepend && !s.StartsWith(replacement)) s = replacement + s;
            if (!split) { output.Add(s); return; }
            int start = 0;
            for (int k = 1; k < s.Length; k++)
                if (s[k] == replacement) { output.Add(s[start..k]); start = k; }
            if (s.Length > start) output.Add(s[start..]);
        }
    }

    /// <summary>Isolates digits: each one alone, or runs of them.</summary>
    public sealed class Digits(bool individual) : PreTokenizerStep
    {
        public override void Split(string piece, bool atTextStart, List<string> output)
        {
            int start = 0;
            for (int k = 0; k < piece.Length; k++)
            {
                if (!char.IsNumber(piece[k])) continue;
                int end = k + 1;
                if (!individual) while (end < piece.Length && char.IsNumber(piece[end])) end++;
                if (k > start) output.Add(piece[start..k]);
                output.Add(piece[k..end]);
                start = end;
                k = end - 1;
            }
            if (start < piece.Length) output.Add(piece[start..]);
        }
    }
}
