using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Switchyard.Data.Tokenizers;

/// <summary>
/// Makes a pre-tokenizer pattern written for code points (Rust's <c>regex</c>/<c>onig</c>, as in
/// tokenizer.json and llama.cpp) behave the same on .NET's UTF-16 strings. .NET matches one UTF-16
/// unit at a time, so without this <c>\p{L}</c> misses letters above U+FFFF and a negated class such
/// as <c>[^\s\p{L}\p{N}]</c> matches half of an emoji, which moves pre-token boundaries and so ids.
/// </summary>
internal static class CodePointRegex
{
    const string Pair = @"[\uD800-\uDBFF][\uDC00-\uDFFF]";
    static readonly Dictionary<string, string> s_supplementary = new(StringComparer.Ordinal);

    /// <summary>Compiles <paramref name="pattern"/> after <see cref="Transform"/>.</summary>
    /// <exception cref="ArgumentException">The pattern is not a valid .NET regular expression or uses a construct this cannot translate.</exception>
    public static Regex Create(string pattern) =>
        new(Transform(pattern), RegexOptions.CultureInvariant | RegexOptions.Compiled);

    /// <summary>
    /// Rewrites <c>\p{X}</c>, <c>\P{X}</c>, <c>\d</c> and character classes so that each matches whole
    /// code points: supplementary code points are added as surrogate pairs, and negated classes never
    /// match a lone surrogate.
    /// </summary>
    public static string Transform(string pattern)
    {
        var sb = new StringBuilder(pattern.Length * 2);
        int i = 0;
        while (i < pattern.Length)
        {
            char c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                if (TryReadProperty(pattern, ref i, out string name, out bool negated))
                {
                    string supp = Supplementary(name);
                    sb.Append(negated
                        ? $@"(?:[^\p{{{name}}}\uD800-\uDFFF]|(?!{supp}){Pair})"
                        : $@"(?:\p{{{name}}}|{supp})");
                    continue;
                }
                if (pattern[i + 1] == 'd')
                {
                    sb.Append($@"(?:\p{{Nd}}|{Supplementary("Nd")})");
                    i += 2;
                    continue;
                }
                sb.Append(c).Append(pattern[i + 1]);
                i += 2;
                continue;
            }
            if (c == '[')
            {
                sb.Append(Class(pattern, ref i));
                continue;
            }
            sb.Append(c);
            i++;
        }
        return sb.ToString();
    }

    static bool TryReadProperty(string p, ref int i, out string name, out bool negated)
    {
        name = "";
        negated = p[i + 1] == 'P';
        if (p[i + 1] is not ('p' or 'P')) return false;
        if (i + 2 < p.Length && p[i + 2] == '{')
        {
            int end = p.IndexOf('}', i + 3);
            if (end < 0) throw new ArgumentException($"unclosed \\p{{ at {i}");
            name = p[(i + 3)..end];
            i = end + 1;
        }
        else if (i + 2 < p.Length)
        {
            name = p[i + 2].ToString(); // Rust's one-letter form \pL
            i += 3;
        }
        else throw new ArgumentException($"dangling \\p at {i}");
        return true;
    }

    // A class [..] or [^..]: positive classes gain the supplementary members of their \p{X} items;
    // negated ones exclude surrogates as units and accept a pair unless it is one of the excluded items.
    static string Class(string p, ref int i)
    {
        int start = i;
        i++;
        bool negated = i < p.Length && p[i] == '^';
        if (negated) i++;
        var body = new StringBuilder();
        var names = new List<string>();
        bool first = true;
        while (i < p.Length && (p[i] != ']' || first))
        {
            first = false;
            if (p[i] == '\\' && i + 1 < p.Length)
            {
                int at = i;
                if (TryReadProperty(p, ref i, out string name, out bool neg))
                {
                    if (neg) throw new ArgumentException($"\\P{{..}} inside a character class (at {at}) is not supported");
                    names.Add(name);
                    body.Append($@"\p{{{name}}}");
                    continue;
                }
                if (p[i + 1] == 'd') names.Add("Nd");
                body.Append(p[i]).Append(p[i + 1]);
                i += 2;
                continue;
            }
            if (p[i] == '[') throw new ArgumentException($"nested character class at {i} is not supported");
            body.Append(p[i]);
            i++;
        }
        if (i >= p.Length) throw new ArgumentException($"unclosed character class at {start}");
        i++; // ']'
        string supp = names.Count == 0 ? "" : string.Join("|", names.Select(Supplementary));
        if (negated)
            return supp.Length == 0
                ? $@"(?:[^{body}\uD800-\uDFFF]|{Pair})"
                : $@"(?:[^{body}\uD800-\uDFFF]|(?!{supp}){Pair})";
        return supp.Length == 0 ? $"[{body}]" : $"(?:[{body}]|{supp})";
    }

    /// <summary>An alternation matching the surrogate pairs of the code points ≥ U+10000 in category <paramref name="name"/>.</summary>
    static string Supplementary(string name)
    {
        lock (s_supplementary)
        {
            if (s_supplementary.TryGetValue(name, out string? cached)) return cached;
            var categories = Categories(name);
            var sb = new StringBuilder("(?:");
            bool any = false;
            // Walk high surrogates; within each, runs of low surrogates whose code point is in the set.
            for (int hi = 0xD800; hi <= 0xDBFF; hi++)
            {
                int runStart = -1;
                var lows = new StringBuilder();
                for (int lo = 0xDC00; lo <= 0xE000; lo++)
                {
                    bool inSet = lo < 0xE000 && categories.Contains(CharUnicodeInfo.GetUnicodeCategory(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)));
                    if (inSet && runStart < 0) runStart = lo;
                    else if (!inSet && runStart >= 0)
                    {
                        lows.Append(runStart == lo - 1 ? $@"\u{runStart:X4}" : $@"\u{runStart:X4}-\u{lo - 1:X4}");
                        runStart = -1;
                    }
                }
                if (lows.Length == 0) continue;
                if (any) sb.Append('|');
                sb.Append($@"\u{hi:X4}[{lows}]");
                any = true;
            }
            // A pattern that can never match when the category has no supplementary members.
            string result = any ? sb.Append(')').ToString() : "(?!)";
            s_supplementary[name] = result;
            return result;
        }
    }

    static HashSet<UnicodeCategory> Categories(string name)
    {
        string[] twoLetter = ["Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn",
            "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So"];
        UnicodeCategory[] order = [UnicodeCategory.UppercaseLetter, UnicodeCategory.LowercaseLetter, UnicodeCategory.TitlecaseLetter, UnicodeCategory.ModifierLetter, UnicodeCategory.OtherLetter,
            UnicodeCategory.NonSpacingMark, UnicodeCategory.SpacingCombiningMark, UnicodeCategory.EnclosingMark,
            UnicodeCategory.DecimalDigitNumber, UnicodeCategory.LetterNumber, UnicodeCategory.OtherNumber,
            UnicodeCategory.SpaceSeparator, UnicodeCategory.LineSeparator, UnicodeCategory.ParagraphSeparator,
            UnicodeCategory.Control, UnicodeCategory.Format, UnicodeCategory.Surrogate, UnicodeCategory.PrivateUse, UnicodeCategory.OtherNotAssigned,
            UnicodeCategory.ConnectorPunctuation, UnicodeCategory.DashPunctuation, UnicodeCategory.OpenPunctuation, UnicodeCategory.ClosePunctuation,
            UnicodeCategory.InitialQuotePunctuation, UnicodeCategory.FinalQuotePunctuation, UnicodeCategory.OtherPunctuation,
            UnicodeCategory.MathSymbol, UnicodeCategory.CurrencySymbol, UnicodeCategory.ModifierSymbol, UnicodeCategory.OtherSymbol];
        var set = new HashSet<UnicodeCategory>();
        for (int k = 0; k < twoLetter.Length; k++)
            if (name.Length == 1 ? twoLetter[k][0] == name[0] : twoLetter[k] == name) set.Add(order[k]);
        if (set.Count == 0) throw new ArgumentException($"unsupported Unicode property \\p{{{name}}} (general categories only, e.g. L, N, Lu)");
        return set;
    }
}
