using System.Text;
using Ml = Microsoft.ML.Tokenizers;

namespace Switchyard.Data.Tokenizers;

/// <summary>Pieces shared by <see cref="HfTokenizer"/> and <see cref="GgufTokenizerData"/>: models and per-token decode bytes.</summary>
internal static class TokenizerBuilder
{
    static readonly Dictionary<char, byte> s_charToByte = BuildCharToByte();

    static Dictionary<char, byte> BuildCharToByte()
    {
        var d = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++) d[ByteLevel.ByteToChar[b]] = (byte)b;
        return d;
    }

    /// <summary>Bytes of a byte-level vocabulary string; a string with a character outside GPT-2's table decodes as its own UTF-8 (as tokenizers' ByteLevel decoder does for added tokens).</summary>
    public static byte[] ByteLevelBytes(string token)
    {
        var bytes = new byte[token.Length];
        for (int k = 0; k < token.Length; k++)
        {
            if (!s_charToByte.TryGetValue(token[k], out byte b)) return Encoding.UTF8.GetBytes(token);
            bytes[k] = b;
        }
        return bytes;
    }

    /// <summary>Bytes of a SentencePiece vocabulary string: <c>&lt;0xNN&gt;</c> is one byte (byte fallback), "▁" is a space.</summary>
    public static byte[] SentencePieceBytes(string token, bool byteTokens)
    {
        if (byteTokens && TryParseByteToken(token, out byte b)) return [b];
        return Encoding.UTF8.GetBytes(token.Replace('\u2581', ' '));
    }

    public static bool TryParseByteToken(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out value);
    }

    /// <summary>Ids of the 256 <c>&lt;0xNN&gt;</c> tokens, or null when any is missing.</summary>
    public static int[]? ByteTokenIds(Dictionary<string, int> vocab)
    {
        var ids = new int[256];
        for (int b = 0; b < 256; b++)
            if (!vocab.TryGetValue($"<0x{b:X2}>", out ids[b])) return null;
        return ids;
    }

    /// <summary>Byte-level BPE over Microsoft.ML.Tokenizers. Returns null and a reason when the vocabulary cannot be byte-level.</summary>
    public static TokenModel ByteLevelModel(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, bool ignoreMerges, Func<string, string, Exception> bad)
    {
        for (int b = 0; b < 256; b++)
            if (!vocab.ContainsKey(ByteLevel.ByteToChar[b].ToString()))
                throw bad("vocab", $"byte-level vocabulary lacks byte 0x{b:X2} (spelled '{ByteLevel.ByteToChar[b]}')");
        var options = new Ml.BpeOptions(vocab)
        {
            Merges = merges.Select(m => $"{m.Left} {m.Right}"),
            ByteLevel = true,
        };
        try
        {
            return new TokenModel.ByteLevelBpe(Ml.BpeTokenizer.Create(options), vocab, ignoreMerges);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw bad("model", $"Microsoft.ML.Tokenizers rejected the BPE data: {e.Message}");
        }
    }

    /// <summary>Merge (left id, right id) → (rank, merged id); validates that all three strings are tokens.</summary>
    public static Dictionary<long, (int Rank, int Id)> MergeTable(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, Func<int, string, Exception> bad)
    {
        var table = new Dictionary<long, (int, int)>(merges.Count);
        for (int r = 0; r < merges.Count; r++)
        {
            var (l, rt) = merges[r];
            if (!vocab.TryGetValue(l, out int a)) throw bad(r, $"'{l}' is not in the vocabulary");
            if (!vocab.TryGetValue(rt, out int b)) throw bad(r, $"'{rt}' is not in the vocabulary");
            if (!vocab.TryGetValue(l + rt, out int c)) throw bad(r, $"the merged token '{l + rt}' is not in the vocabulary");
            table.TryAdd(TokenModel.MergesBpe.Key(a, b), (r, c)); // first (lowest) rank wins, as in tokenizers
        }
        return table;
    }

    /// <summary>llama.cpp's pre-tokenizer regexes for GGUF <c>tokenizer.ggml.pre</c> names (BPE vocabularies).</summary>
    public static readonly Dictionary<string, string> GgufPrePatterns = new(StringComparer.Ordinal)
    {
        ["gpt-2"] = Gpt2Pattern,
        ["default"] = Gpt2Pattern,
        ["olmo"] = Gpt2Pattern,
        ["llama-bpe"] = Llama3Pattern,
        ["llama3"] = Llama3Pattern,
        ["qwen2"] = Qwen2Pattern,
        ["switchyard"] = ByteLevel.PreTokenizerSource,
    };

    /// <summary>GPT-2's pre-tokenizer (tokenizers' ByteLevel with use_regex).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Llama 3's Split regex (digits in groups of up to three).</summary>
    public const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>Qwen2/Qwen3's Split regex (single digits).</summary>
    public const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
}
