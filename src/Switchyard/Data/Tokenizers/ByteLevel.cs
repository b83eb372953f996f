using System.Text.RegularExpressions;

namespace Switchyard.Data;

/// <summary>
/// The byte-level conventions shared by <see cref="BpeTrainer"/> and <see cref="BpeTokenizer"/>:
/// GPT-2's byte → printable character table (how vocab.json and merges.txt spell bytes) and
/// the pre-tokenizer that cuts text into the pieces merges never cross.
/// </summary>
internal static class ByteLevel
{
    public const string PadToken = "<|pad|>", BosToken = "<|bos|>", EosToken = "<|eos|>";

    /// <summary>Ids 0–255 are the bytes, then pad, bos, eos; learned merges follow.</summary>
    public const int PadId = 256, BosId = 257, EosId = 258, FirstMergeId = 259;

    /// <summary>Character standing for each byte, as in GPT-2's <c>bytes_to_unicode</c> (also what Microsoft.ML.Tokenizers' ByteLevel mode uses).</summary>
    public static readonly char[] ByteToChar = BuildTable();

    static char[] BuildTable()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    /// <summary>
    /// A letter run (with marks: Indic vowel signs must not split words) with an optional
    /// leading space; single digits (so numbers tokenize digit by digit, which arithmetic
    /// tasks need); punctuation runs; whitespace. Language-neutral: no English contractions.
    /// </summary>
    /// <remarks>
    /// Matched by code points (<see cref="Tokenizers.CodePointRegex"/>), as Hugging Face tokenizers and
    /// transformers.js match it, so an exported tokenizer.json cuts text exactly where we do.
    /// </remarks>
    public static Regex PreTokenizerPattern() => s_pattern;

    /// <summary>The pattern of <see cref="PreTokenizerPattern"/> as written in tokenizer.json.</summary>
    public const string PreTokenizerSource = @" ?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+|\s+(?!\S)|\s+";

    static readonly Regex s_pattern = Tokenizers.CodePointRegex.Create(PreTokenizerSource);
}
