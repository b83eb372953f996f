using System.Text;
using System.Text.RegularExpressions;

namespace Switchyard.Data.Tokenizers;

/// <summary>A tokenizer.json normalizer: applied to each stretch of text between added tokens.</summary>
internal abstract class TextNormalizer
{
    public abstract string Normalize(string text);

    /// <summary>Unicode normalization form (NFC, NFKC, ...).</summary>
    public sealed class Unicode(NormalizationForm form) : TextNormalizer
    {
        public override string Normalize(string text) => text.Normalize(form);
    }

    public sealed class Lowercase : TextNormalizer
    {
        public override string Normalize(string text) => text.ToLowerInvariant();
    }

    /// <summary>Prepends a string to non-empty text (SentencePiece's dummy prefix "▁").</summary>
    public sealed class Prepend(string prefix) : TextNormalizer
    {
        public override string Normalize(string text) => text.Length == 0 ? text : prefix + text;
    }

    /// <summary>Replaces every match of a literal string or regex.</summary>
    public sealed class Replace(string? literal, Regex? regex, string content) : TextNormalizer
    {
        public override string Normalize(string text) =>
            literal is not null ? (literal.Length == 0 ? text : text.Replace(literal, content, StringComparison.Ordinal))
                : regex!.Replace(text, content.Replace("$", "$$", StringComparison.Ordinal));
    }

    public sealed class Strip(bool left, bool right) : TextNormalizer
    {
        public override string Normalize(string text) => (left, right) switch
        {
            (true, true) => text.Trim(),
            (true, false) => text.TrimStart(),
            (false, true) => text.TrimEnd(),
            _ => text,
        };
    }

    public sealed class Sequence(TextNormalizer[] steps) : TextNormalizer
    {
        public override string Normalize(string text)
        {
            foreach (var s in steps) text = s.Normalize(text);
            return text;
        }
    }
}
