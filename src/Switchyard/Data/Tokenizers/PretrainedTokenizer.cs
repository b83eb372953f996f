using System.Text;
using System.Text.RegularExpressions;

namespace Switchyard.Data.Tokenizers;

/// <summary>
/// The tokenizer of a real checkpoint, loaded by <see cref="HfTokenizer.Load"/> from a Hugging Face
/// <c>tokenizer.json</c> or created by <see cref="GgufTokenizerData.CreateTokenizer"/> from GGUF metadata.
/// Text is cut at added tokens, normalized, pre-tokenized and encoded by the model (byte-level BPE,
/// or SentencePiece-style BPE with byte fallback); decoding maps ids back to bytes and then UTF-8.
/// </summary>
/// <remarks>
/// Unlike Switchyard's own tokenizers, text that contains an added token's string (such as
/// <c>&lt;|im_end|&gt;</c>) encodes to that token's id, as in Hugging Face tokenizers and llama.cpp.
/// <see cref="BosId"/>, <see cref="EosId"/>, <see cref="PadId"/> and <see cref="UnknownId"/> are −1 when the
/// files define none. Instances are immutable and safe to share between threads.
/// </remarks>
public sealed class PretrainedTokenizer : ITokenizer, ITokenBytes
{
    readonly string?[] _tokens;
    readonly Dictionary<string, int> _ids;
    readonly bool[] _special;
    readonly byte[][] _bytes;
    readonly TextNormalizer? _normalizer;
    readonly PreTokenizerStep[] _preTokenizers;
    readonly AddedTokenMatcher _rawAdded, _normalizedAdded;
    readonly TokenModel _model;
    readonly int[] _prefix, _suffix;
    readonly bool _spacePrefixAfterAdded;

    internal PretrainedTokenizer(Parts p)
    {
        _tokens = p.Tokens;
        _ids = p.Ids;
        _special = p.Special;
        _bytes = p.Bytes;
        _normalizer = p.Normalizer;
        _preTokenizers = p.PreTokenizers;
        _rawAdded = new AddedTokenMatcher(p.AddedTokens.Where(t => !t.Normalized));
        _normalizedAdded = new AddedTokenMatcher(p.AddedTokens.Where(t => t.Normalized));
        _model = p.Model;
        _prefix = p.Prefix;
        _suffix = p.Suffix;
        _spacePrefixAfterAdded = p.SpacePrefixAfterAddedTokens;
        StripsLeadingSpace = p.StripLeadingSpace;
        BosId = p.BosId;
        EosId = p.EosId;
        PadId = p.PadId;
        UnknownId = p.UnknownId;
        Kind = p.Kind;
        Export = p.Export;
        AddedTokens = p.AddedTokens;
    }

    /// <inheritdoc/>
    public int VocabSize => _tokens.Length;

    /// <inheritdoc/>
    /// <remarks>−1 when the files name no padding token.</remarks>
    public int PadId { get; }

    /// <inheritdoc/>
    /// <remarks>−1 when the files name no beginning-of-sequence token.</remarks>
    public int BosId { get; }

    /// <inheritdoc/>
    /// <remarks>−1 when the files name no end-of-sequence token.</remarks>
    public int EosId { get; }

    /// <summary>The unknown token's id, or −1 when there is none.</summary>
    public int UnknownId { get; }

    /// <summary>Whether <see cref="Encode(string, bool)"/> with special tokens puts <see cref="BosId"/> first (the files' post-processor / <c>add_bos_token</c>).</summary>
    public bool AddBos => BosId >= 0 && _prefix.Contains(BosId);

    /// <summary>Whether <see cref="Encode(string, bool)"/> with special tokens puts <see cref="EosId"/> last.</summary>
    public bool AddEos => EosId >= 0 && _suffix.Contains(EosId);

    /// <summary>The vocabulary string of <paramref name="id"/> (byte-level spelling such as <c>Ġthe</c>, or <c>▁the</c>), or null for an id the files leave unused.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside [0, <see cref="VocabSize"/>).</exception>
    public string? IdToToken(int id)
    {
        if ((uint)id >= (uint)_tokens.Length) throw new ArgumentOutOfRangeException(nameof(id), id, $"id outside the vocabulary [0, {VocabSize})");
        return _tokens[id];
    }

    /// <summary>The id of a vocabulary string or added token (exact spelling), or null when there is none.</summary>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _ids.TryGetValue(token, out int id) ? id : null;
    }

    /// <summary>Whether <paramref name="id"/> is a special (control) token: skipped by <see cref="Decode(ReadOnlySpan{int})"/>.</summary>
    public bool IsSpecial(int id) => (uint)id < (uint)_special.Length && _special[id];

    /// <summary>The ids of <paramref name="text"/>, without the post-processor's BOS/EOS.</summary>
    public int[] Encode(string text) => Encode(text, addSpecialTokens: false);

    /// <summary>The ids of <paramref name="text"/>; with <paramref name="addSpecialTokens"/>, wrapped as the model expects (e.g. BOS first), as Hugging Face's <c>encode</c> does by default.</summary>
    public int[] Encode(string text, bool addSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        if (addSpecialTokens) ids.AddRange(_prefix);
        Encode(text.AsSpan(), ids);
        if (addSpecialTokens) ids.AddRange(_suffix);
        return [.. ids];
    }

    /// <inheritdoc/>
    public void Encode(ReadOnlySpan<char> text, List<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (text.IsEmpty) return;
        var segments = new List<(string? Text, AddedToken? Token)>();
        _rawAdded.Split(text.ToString(), segments);
        bool atStart = true, afterAdded = true;
        var normalized = new List<(string? Text, AddedToken? Token)>();
        foreach (var (segment, token) in segments)
        {
            if (token is not null)
            {
                ids.Add(token.Id);
                atStart = false;
                afterAdded = true;
                continue;
            }
            string s = segment!;
            if (_spacePrefixAfterAdded && afterAdded) s = " " + s; // llama.cpp SPM: a space after BOS/specials
            if (_normalizer is not null) s = _normalizer.Normalize(s);
            normalized.Clear();
            _normalizedAdded.Split(s, normalized);
            foreach (var (part, added) in normalized)
            {
                if (added is not null) { ids.Add(added.Id); continue; }
                EncodePiece(part!, atStart, ids);
                atStart = false;
            }
            atStart = false;
            afterAdded = false;
        }
    }

    void EncodePiece(string text, bool atStart, List<int> ids)
    {
        List<string> pieces = [text];
        var next = new List<string>();
        foreach (var step in _preTokenizers)
        {
            next.Clear();
            for (int k = 0; k < pieces.Count; k++) step.Split(pieces[k], atStart && k == 0, next);
            (pieces, next) = (next, pieces);
        }
        foreach (string piece in pieces)
            if (piece.Length > 0) _model.Encode(piece, ids);
    }

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> ids) => Decode(ids, skipSpecialTokens: true);

    /// <summary>The text of <paramref name="ids"/>; special tokens are written as their text unless <paramref name="skipSpecialTokens"/>.</summary>
    /// <remarks>Invalid UTF-8 (e.g. ids cut inside a character) decodes to U+FFFD.</remarks>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens)
    {
        var bytes = new List<byte>(ids.Length * 4);
        foreach (int id in ids) bytes.AddRange(TokenBytes(id, skipSpecialTokens));
        string text = Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
        return StripsLeadingSpace && text.StartsWith(' ') ? text[1..] : text;
    }

    /// <summary>The bytes <paramref name="id"/> decodes to (empty for a skipped special token).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside [0, <see cref="VocabSize"/>).</exception>
    public ReadOnlySpan<byte> TokenBytes(int id, bool skipSpecialTokens)
    {
        if ((uint)id >= (uint)_tokens.Length) throw new ArgumentOutOfRangeException(nameof(id), id, $"id outside the vocabulary [0, {VocabSize})");
        return skipSpecialTokens && _special[id] ? default : _bytes[id];
    }

    /// <summary>Whether decoding drops one leading space of the text (SentencePiece's dummy prefix).</summary>
    public bool StripsLeadingSpace { get; }

    internal TokenizerKind Kind { get; }
    internal ExportInfo Export { get; }
    internal IReadOnlyList<AddedToken> AddedTokens { get; }

    /// <summary>What a tokenizer is built from.</summary>
    internal sealed class Parts
    {
        public required string?[] Tokens;
        public required Dictionary<string, int> Ids;
        public required bool[] Special;
        public required byte[][] Bytes;
        public TextNormalizer? Normalizer;
        public PreTokenizerStep[] PreTokenizers = [];
        public List<AddedToken> AddedTokens = [];
        public required TokenModel Model;
        public int[] Prefix = [], Suffix = [];
        public bool StripLeadingSpace, SpacePrefixAfterAddedTokens;
        public int BosId = -1, EosId = -1, PadId = -1, UnknownId = -1;
        public required TokenizerKind Kind;
        public required ExportInfo Export;
    }

    /// <summary>What export to GGUF needs beyond the vocabulary.</summary>
    internal sealed record ExportInfo(IReadOnlyList<(string Left, string Right)> Merges, float[]? Scores, Regex? PreTokenizerPattern, string? GgufPre)
    {
        /// <summary>The metadata a GGUF-created tokenizer came from (exported unchanged).</summary>
        public GgufTokenizerData? Gguf { get; init; }
    }
}

/// <summary>The tokenization algorithm of a <see cref="PretrainedTokenizer"/>.</summary>
internal enum TokenizerKind
{
    /// <summary>GPT-2-style byte-level BPE.</summary>
    ByteLevelBpe,
    /// <summary>SentencePiece-style BPE over characters with "▁" for spaces and byte fallback; merges by rank.</summary>
    SentencePieceMerges,
    /// <summary>SentencePiece BPE by token score (llama.cpp's algorithm for GGUF <c>llama</c> vocabularies).</summary>
    SentencePieceScores,
}

/// <summary>Per-token bytes for <see cref="IncrementalDecoder"/>.</summary>
internal interface ITokenBytes
{
    ReadOnlySpan<byte> TokenBytes(int id, bool skipSpecialTokens);
    bool StripsLeadingSpace { get; }
}
