using System.Text.Json;
using Switchyard.Data.Tokenizers;
using Ml = Microsoft.ML.Tokenizers;

namespace Switchyard.Data;

/// <summary>
/// Byte-level BPE encoding by Microsoft.ML.Tokenizers over a vocabulary trained by
/// <see cref="BpeTrainer"/> (or any GPT-2-style byte-level <c>vocab.json</c> + <c>merges.txt</c>
/// that has our three special tokens). Ids 0–255 are single bytes and 256–258 pad/bos/eos,
/// as in <see cref="ByteTokenizer"/>; every text encodes (no unknown token) and decodes back exactly.
/// </summary>
public sealed class BpeTokenizer : ITokenizer, ITokenBytes
{
    readonly Ml.BpeTokenizer _inner;
    readonly byte[][] _bytes;

    BpeTokenizer(Ml.BpeTokenizer inner, BpeVocabulary vocabulary)
    {
        _inner = inner;
        Vocabulary = vocabulary;
        VocabSize = vocabulary.Count;
        _bytes = [.. vocabulary.Tokens.Select((t, id) => id is >= ByteLevel.PadId and <= ByteLevel.EosId ? [] : TokenizerBuilder.ByteLevelBytes(t))];
    }

    /// <summary>The vocabulary and merges (for export: <see cref="TokenizerFiles"/>, <see cref="GgufTokenizerData"/>).</summary>
    public BpeVocabulary Vocabulary { get; }

    /// <summary>Loads <c>vocab.json</c> and <c>merges.txt</c> from <paramref name="directory"/>.</summary>
    public static BpeTokenizer Load(string directory) =>
        Load(Path.Combine(directory, BpeVocabulary.VocabFileName), Path.Combine(directory, BpeVocabulary.MergesFileName));

    /// <summary>Loads a vocabulary file and a merges file.</summary>
    /// <exception cref="SwitchyardException">A file is missing or malformed, or the vocabulary lacks the bytes or special tokens.</exception>
    public static BpeTokenizer Load(string vocabPath, string mergesPath)
    {
        foreach (string p in (string[])[vocabPath, mergesPath])
            if (!File.Exists(p)) throw new SwitchyardException($"{p}: BPE file not found");
        string[] tokens;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(vocabPath));
            var pairs = doc.RootElement.EnumerateObject().Select(p => (p.Name, Id: p.Value.GetInt32())).ToList();
            tokens = new string[pairs.Count];
            foreach (var (name, id) in pairs)
            {
                if ((uint)id >= (uint)tokens.Length || tokens[id] is not null)
                    throw new SwitchyardException($"{vocabPath}: ids must be 0..{tokens.Length - 1} without gaps or repeats, found {id} for '{name}'");
                tokens[id] = name;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new SwitchyardException($"{vocabPath}: not a JSON object of token → id ({e.Message})", e);
        }
        var merges = new List<(string, string)>();
        int line = 0;
        foreach (string l in File.ReadLines(mergesPath))
        {
            line++;
            if (l.StartsWith("#version", StringComparison.Ordinal) || l.Length == 0) continue;
            int space = l.IndexOf(' ');
            if (space <= 0 || space == l.Length - 1) throw new SwitchyardException($"{mergesPath}:{line}: expected \"left right\", found \"{l}\"");
            merges.Add((l[..space], l[(space + 1)..]));
        }
        return Create(new BpeVocabulary(tokens, [.. merges]), vocabPath);
    }

    /// <summary>Creates the tokenizer from a vocabulary in memory (no files).</summary>
    public static BpeTokenizer Create(BpeVocabulary vocabulary) => Create(vocabulary, "vocabulary");

    static BpeTokenizer Create(BpeVocabulary vocabulary, string source)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        var options = new Ml.BpeOptions(vocabulary.Tokens.Select((t, id) => new KeyValuePair<string, int>(t, id)))
        {
            Merges = [.. vocabulary.Merges.Select(m => $"{m.Left} {m.Right}")],
        };
        Ml.BpeTokenizer inner;
        try
        {
            inner = Ml.BpeTokenizer.Create(Options(options));
        }
        catch (Exception e) when (e is not SwitchyardException and not OutOfMemoryException)
        {
            throw new SwitchyardException($"{source}: cannot load BPE vocabulary ({e.Message})", e);
        }
        return Wrap(inner, vocabulary, source);
    }

    static Ml.BpeOptions Options(Ml.BpeOptions o)
    {
        o.ByteLevel = true;
        o.PreTokenizer = new Ml.RegexPreTokenizer(ByteLevel.PreTokenizerPattern(), null);
        o.SpecialTokens = new Dictionary<string, int>
        {
            [ByteLevel.PadToken] = ByteLevel.PadId,
            [ByteLevel.BosToken] = ByteLevel.BosId,
            [ByteLevel.EosToken] = ByteLevel.EosId,
        };
        return o;
    }

    static BpeTokenizer Wrap(Ml.BpeTokenizer inner, BpeVocabulary vocabulary, string source)
    {
        var vocab = inner.Vocabulary;
        for (int b = 0; b < 256; b++)
            if (!vocab.TryGetValue(ByteLevel.ByteToChar[b].ToString(), out int id) || id != b)
                throw new SwitchyardException($"{source}: byte 0x{b:X2} must have id {b} ('{ByteLevel.ByteToChar[b]}')");
        foreach (var (token, want) in (ReadOnlySpan<(string, int)>)[(ByteLevel.PadToken, ByteLevel.PadId), (ByteLevel.BosToken, ByteLevel.BosId), (ByteLevel.EosToken, ByteLevel.EosId)])
            if (!vocab.TryGetValue(token, out int id) || id != want)
                throw new SwitchyardException($"{source}: special token {token} must have id {want}");
        int max = vocab.Values.Max();
        if (max + 1 != vocab.Count) throw new SwitchyardException($"{source}: ids must be 0..{vocab.Count - 1} without gaps, found max {max}");
        return new BpeTokenizer(inner, vocabulary);
    }

    /// <inheritdoc/>
    public int VocabSize { get; }

    /// <inheritdoc/>
    public int PadId => ByteLevel.PadId;

    /// <inheritdoc/>
    public int BosId => ByteLevel.BosId;

    /// <inheritdoc/>
    public int EosId => ByteLevel.EosId;

    /// <summary>The ids of <paramref name="text"/> (the interface's default method, callable on the class too).</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length);
        Encode(text.AsSpan(), ids);
        return [.. ids];
    }

    /// <inheritdoc/>
    public void Encode(ReadOnlySpan<char> text, List<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (text.IsEmpty) return;
        ids.AddRange(_inner.EncodeToIds(text));
    }

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var kept = new List<int>(ids.Length);
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)VocabSize) throw new ArgumentOutOfRangeException(nameof(ids), id, $"id outside the vocabulary [0, {VocabSize})");
            if (id is < ByteLevel.PadId or > ByteLevel.EosId) kept.Add(id);
        }
        return _inner.Decode(kept) ?? "";
    }

    /// <inheritdoc cref="PretrainedTokenizer.TokenBytes"/>
    public ReadOnlySpan<byte> TokenBytes(int id, bool skipSpecialTokens)
    {
        if ((uint)id >= (uint)VocabSize) throw new ArgumentOutOfRangeException(nameof(id), id, $"id outside the vocabulary [0, {VocabSize})");
        return _bytes[id];
    }

    bool ITokenBytes.StripsLeadingSpace => false;
}
