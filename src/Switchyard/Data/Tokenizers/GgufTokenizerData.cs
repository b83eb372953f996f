using System.Text;

namespace Switchyard.Data.Tokenizers;

/// <summary>
/// The <c>tokenizer.ggml.*</c> metadata of a GGUF file: what llama.cpp tokenizes with. The GGUF reader and
/// writer map metadata keys to and from this record (<see cref="Model"/> = <c>tokenizer.ggml.model</c>,
/// <see cref="Pre"/> = <c>tokenizer.ggml.pre</c>, <see cref="Tokens"/> = <c>tokenizer.ggml.tokens</c>, ...);
/// <see cref="CreateTokenizer"/> builds the tokenizer and the <c>From</c> methods export ours.
/// </summary>
public sealed partial record GgufTokenizerData
{
    /// <summary><c>tokenizer.ggml.model</c>: "gpt2" (byte-level BPE) or "llama" (SentencePiece BPE by score).</summary>
    public required string Model { get; init; }

    /// <summary><c>tokenizer.ggml.pre</c>: llama.cpp's pre-tokenizer name for gpt2 vocabularies ("gpt-2", "llama-bpe", "qwen2", ...); null means "default".</summary>
    public string? Pre { get; init; }

    /// <summary><c>tokenizer.ggml.tokens</c>: token strings by id.</summary>
    public required string[] Tokens { get; init; }

    /// <summary><c>tokenizer.ggml.merges</c>: "left right" strings in rank order (gpt2 vocabularies).</summary>
    public string[]? Merges { get; init; }

    /// <summary><c>tokenizer.ggml.scores</c>: one score per token (llama vocabularies: higher merges first).</summary>
    public float[]? Scores { get; init; }

    /// <summary><c>tokenizer.ggml.token_type</c>: one type per token; null means all <see cref="GgufTokenType.Normal"/>.</summary>
    public GgufTokenType[]? TokenTypes { get; init; }

    /// <summary><c>tokenizer.ggml.bos_token_id</c>, or −1.</summary>
    public int BosId { get; init; } = -1;

    /// <summary><c>tokenizer.ggml.eos_token_id</c>, or −1.</summary>
    public int EosId { get; init; } = -1;

    /// <summary><c>tokenizer.ggml.unknown_token_id</c>, or −1.</summary>
    public int UnknownId { get; init; } = -1;

    /// <summary><c>tokenizer.ggml.padding_token_id</c>, or −1.</summary>
    public int PaddingId { get; init; } = -1;

    /// <summary><c>tokenizer.ggml.add_bos_token</c>.</summary>
    public bool AddBos { get; init; }

    /// <summary><c>tokenizer.ggml.add_eos_token</c>.</summary>
    public bool AddEos { get; init; }

    /// <summary><c>tokenizer.ggml.add_space_prefix</c> (llama vocabularies; llama.cpp's default is true): a space before the text and after each special token.</summary>
    public bool AddSpacePrefix { get; init; } = true;

    /// <summary>Names the origin (usually the .gguf path) in error messages; not a metadata key.</summary>
    public string Source { get; init; } = "GGUF tokenizer metadata";

    /// <summary>Supported <see cref="Pre"/> names for gpt2 vocabularies.</summary>
    public static IReadOnlyCollection<string> SupportedPre => TokenizerBuilder.GgufPrePatterns.Keys;

    /// <summary>Builds the tokenizer llama.cpp would use for this metadata.</summary>
    /// <exception cref="InvalidTokenizerFileException">A field is missing, inconsistent or unsupported; the message names the metadata key.</exception>
    public PretrainedTokenizer CreateTokenizer()
    {
        int n = Tokens?.Length ?? 0;
        if (n == 0) throw Bad("tokenizer.ggml.tokens", "no tokens");
        if (TokenTypes is not null && TokenTypes.Length != n) throw Bad("tokenizer.ggml.token_type", $"expected {n} entries (one per token), found {TokenTypes.Length}");
        if (Scores is not null && Scores.Length != n) throw Bad("tokenizer.ggml.scores", $"expected {n} entries (one per token), found {Scores.Length}");
        foreach (var (key, id) in (ReadOnlySpan<(string, int)>)[("tokenizer.ggml.bos_token_id", BosId), ("tokenizer.ggml.eos_token_id", EosId), ("tokenizer.ggml.unknown_token_id", UnknownId), ("tokenizer.ggml.padding_token_id", PaddingId)])
            if (id < -1 || id >= n) throw Bad(key, $"expected an id in [0, {n}) or none, found {id}");
        if (AddBos && BosId < 0) throw Bad("tokenizer.ggml.add_bos_token", "true, but there is no tokenizer.ggml.bos_token_id");
        if (AddEos && EosId < 0) throw Bad("tokenizer.ggml.add_eos_token", "true, but there is no tokenizer.ggml.eos_token_id");

        GgufTokenType Type(int id) => TokenTypes is null ? GgufTokenType.Normal : TokenTypes[id];
        var tokens = new string?[n];
        var ids = new Dictionary<string, int>(n, StringComparer.Ordinal);
        var special = new bool[n];
        var added = new List<AddedToken>();
        for (int id = 0; id < n; id++)
        {
            string t = Tokens![id] ?? throw Bad($"tokenizer.ggml.tokens[{id}]", "null token");
            tokens[id] = t;
            ids[t] = id; // later duplicates win, as in llama.cpp's token_to_id
            var type = Type(id);
            if (!Enum.IsDefined(type)) throw Bad($"tokenizer.ggml.token_type[{id}]", $"expected 0–6, found {(int)type}");
            special[id] = type is GgufTokenType.Control or GgufTokenType.Unknown;
            // llama.cpp matches control, user-defined and unknown tokens in text (its special-token cache).
            if (type is GgufTokenType.Control or GgufTokenType.UserDefined or GgufTokenType.Unknown && t.Length > 0)
                added.Add(new AddedToken(id, t, Special: type != GgufTokenType.UserDefined));
        }
        if (UnknownId >= 0) special[UnknownId] = true;

        var bytes = new byte[n][];
        var parts = Model switch
        {
            "gpt2" => ByteLevelParts(tokens, ids, special, bytes, added, Type),
            "llama" => SentencePieceParts(tokens, ids, special, bytes, added, Type),
            _ => throw Bad("tokenizer.ggml.model", $"'{Model}' is not supported (supported: gpt2, llama)"),
        };
        return new PretrainedTokenizer(parts);
    }

    PretrainedTokenizer.Parts ByteLevelParts(string?[] tokens, Dictionary<string, int> ids, bool[] special, byte[][] bytes, List<AddedToken> added, Func<int, GgufTokenType> type)
    {
        string pre = Pre ?? "default";
        if (!TokenizerBuilder.GgufPrePatterns.TryGetValue(pre, out string? pattern))
            throw Bad("tokenizer.ggml.pre", $"pre-tokenizer '{pre}' is not supported (supported: {string.Join(", ", SupportedPre)})");
        if (Merges is null) throw Bad("tokenizer.ggml.merges", "missing: gpt2 vocabularies need merges");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < tokens.Length; id++)
        {
            var t = type(id);
            bytes[id] = t switch
            {
                GgufTokenType.Control or GgufTokenType.UserDefined or GgufTokenType.Unknown => Encoding.UTF8.GetBytes(tokens[id]!),
                GgufTokenType.Unused => [],
                _ => TokenizerBuilder.ByteLevelBytes(tokens[id]!),
            };
            if (t is GgufTokenType.Normal or GgufTokenType.Undefined or GgufTokenType.Byte) vocab[tokens[id]!] = id;
        }
        var merges = new List<(string, string)>(Merges.Length);
        for (int r = 0; r < Merges.Length; r++)
        {
            string m = Merges[r] ?? "";
            int space = m.IndexOf(' ');
            if (space <= 0 || space == m.Length - 1) throw Bad($"tokenizer.ggml.merges[{r}]", $"expected \"left right\", found \"{m}\"");
            merges.Add((m[..space], m[(space + 1)..]));
        }
        var model = TokenizerBuilder.ByteLevelModel(vocab, merges, ignoreMerges: pre is "llama-bpe" or "llama3", (at, why) => Bad("tokenizer.ggml.tokens", why));
        return new PretrainedTokenizer.Parts
        {
            Tokens = tokens,
            Ids = ids,
            Special = special,
            Bytes = bytes,
            PreTokenizers = [new PreTokenizerStep.RegexSplit(CodePointRegex.Create(pattern), PreTokenizerStep.Behavior.Isolated, false, pattern)],
            AddedTokens = added,
            Model = model,
            Prefix = AddBos ? [BosId] : [],
            Suffix = AddEos ? [EosId] : [],
            BosId = BosId,
            EosId = EosId,
            PadId = PaddingId,
            UnknownId = UnknownId,
            Kind = TokenizerKind.ByteLevelBpe,
            Export = new PretrainedTokenizer.ExportInfo(merges, null, null, pre) { Gguf = this },
        };
    }

    PretrainedTokenizer.Parts SentencePieceParts(string?[] tokens, Dictionary<string, int> ids, bool[] special, byte[][] bytes, List<AddedToken> added, Func<int, GgufTokenType> type)
    {
        if (Scores is null) throw Bad("tokenizer.ggml.scores", "missing: llama vocabularies need one score per token");
        int[]? byteIds = TokenizerBuilder.ByteTokenIds(ids);
        for (int id = 0; id < tokens.Length; id++)
        {
            var t = type(id);
            bytes[id] = t switch
            {
                GgufTokenType.Byte when TokenizerBuilder.TryParseByteToken(tokens[id]!, out byte b) => [b],
                GgufTokenType.Byte => throw Bad($"tokenizer.ggml.tokens[{id}]", $"a byte token must be spelled <0xNN>, found '{tokens[id]}'"),
                GgufTokenType.Unused => [],
                GgufTokenType.Control or GgufTokenType.UserDefined or GgufTokenType.Unknown => Encoding.UTF8.GetBytes(tokens[id]!),
                _ => TokenizerBuilder.SentencePieceBytes(tokens[id]!, byteTokens: false),
            };
        }
        return new PretrainedTokenizer.Parts
        {
            Tokens = tokens,
            Ids = ids,
            Special = special,
            Bytes = bytes,
            Normalizer = new TextNormalizer.Replace(" ", null, "\u2581"),
            AddedTokens = added,
            Model = new TokenModel.ScoreBpe(ids, Scores, byteIds, UnknownId),
            Prefix = AddBos ? [BosId] : [],
            Suffix = AddEos ? [EosId] : [],
            StripLeadingSpace = AddSpacePrefix,
            SpacePrefixAfterAddedTokens = AddSpacePrefix,
            BosId = BosId,
            EosId = EosId,
            PadId = PaddingId,
            UnknownId = UnknownId,
            Kind = TokenizerKind.SentencePieceScores,
            Export = new PretrainedTokenizer.ExportInfo([], Scores, null, null) { Gguf = this },
        };
    }

    InvalidTokenizerFileException Bad(string key, string problem) => new(Source, key, problem);

    /// <summary>The metadata for one of Switchyard's own tokenizers (<see cref="ByteTokenizer"/>, <see cref="BpeTokenizer"/>) or a <see cref="PretrainedTokenizer"/>.</summary>
    /// <exception cref="NotSupportedException">Another <see cref="ITokenizer"/>, or a tokenizer whose pre-tokenizer has no llama.cpp name.</exception>
    public static GgufTokenizerData From(ITokenizer tokenizer) => tokenizer switch
    {
        null => throw new ArgumentNullException(nameof(tokenizer)),
        ByteTokenizer => From(BpeVocabulary.BytesOnly()),
        BpeTokenizer b => From(b.Vocabulary),
        PretrainedTokenizer p => FromPretrained(p),
        _ => throw new NotSupportedException($"{tokenizer.GetType().Name} cannot be exported to GGUF tokenizer metadata"),
    };

    /// <summary>
    /// The metadata for a vocabulary trained by <see cref="BpeTrainer"/>: model gpt2, pre "switchyard" (our
    /// pre-tokenizer regex: llama.cpp has no such name, so llama.cpp itself cannot tokenize with it), ids 256–258
    /// as control tokens pad/bos/eos.
    /// </summary>
    public static GgufTokenizerData From(BpeVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        var types = new GgufTokenType[vocabulary.Count];
        Array.Fill(types, GgufTokenType.Normal);
        types[ByteLevel.PadId] = types[ByteLevel.BosId] = types[ByteLevel.EosId] = GgufTokenType.Control;
        return new GgufTokenizerData
        {
            Model = "gpt2",
            Pre = "switchyard",
            Tokens = [.. vocabulary.Tokens],
            Merges = [.. vocabulary.Merges.Select(m => $"{m.Left} {m.Right}")],
            TokenTypes = types,
            BosId = ByteLevel.BosId,
            EosId = ByteLevel.EosId,
            PaddingId = ByteLevel.PadId,
        };
    }

    static GgufTokenizerData FromPretrained(PretrainedTokenizer t)
    {
        if (t.Export.Gguf is { } original) return original;
        int n = t.VocabSize;
        var tokens = new string[n];
        var types = new GgufTokenType[n];
        var added = t.AddedTokens.ToDictionary(a => a.Id);
        bool spm = t.Kind != TokenizerKind.ByteLevelBpe;
        for (int id = 0; id < n; id++)
        {
            string? s = t.IdToToken(id);
            if (s is null) { tokens[id] = $"[PAD{id}]"; types[id] = GgufTokenType.Unused; continue; } // as llama.cpp's converter fills gaps
            tokens[id] = s;
            types[id] = added.TryGetValue(id, out var a) ? (a.Special ? GgufTokenType.Control : GgufTokenType.UserDefined)
                : id == t.UnknownId ? GgufTokenType.Unknown
                : spm && TokenizerBuilder.TryParseByteToken(s, out _) ? GgufTokenType.Byte
                : GgufTokenType.Normal;
        }
        if (t.UnknownId >= 0) types[t.UnknownId] = GgufTokenType.Unknown;
        if (!spm)
        {
            string pre = t.Export.GgufPre ?? throw new NotSupportedException("the tokenizer's pre-tokenizer regex has no llama.cpp name (known: " + string.Join(", ", SupportedPre) + ")");
            return new GgufTokenizerData
            {
                Model = "gpt2", Pre = pre, Tokens = tokens, TokenTypes = types,
                Merges = [.. t.Export.Merges.Select(m => $"{m.Left} {m.Right}")],
                BosId = t.BosId, EosId = t.EosId, UnknownId = t.UnknownId, PaddingId = t.PadId, AddBos = t.AddBos, AddEos = t.AddEos,
            };
        }
        // SentencePiece scores from merge ranks: llama.cpp merges the pair whose result scores highest,
        // tokenizers the pair of lowest rank, so the score of a token is minus the first rank producing it.
        var scores = new float[n];
        var firstRank = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int r = 0; r < t.Export.Merges.Count; r++) firstRank.TryAdd(t.Export.Merges[r].Left + t.Export.Merges[r].Right, r);
        int merges = t.Export.Merges.Count;
        for (int id = 0; id < n; id++)
            scores[id] = types[id] != GgufTokenType.Normal ? 0f
                : firstRank.TryGetValue(tokens[id], out int rank) ? -rank : -(merges + id);
        return new GgufTokenizerData
        {
            Model = "llama", Tokens = tokens, Scores = scores, TokenTypes = types,
            BosId = t.BosId, EosId = t.EosId, UnknownId = t.UnknownId, PaddingId = t.PadId, AddBos = t.AddBos, AddEos = t.AddEos,
        };
    }
}
