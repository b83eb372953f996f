using Switchyard.Formats.Gguf;

namespace Switchyard.Data.Tokenizers;

// The record ↔ GGUF metadata keys, with llama.cpp's value types (llama-vocab.cpp, gguf-py's constants).
public sealed partial record GgufTokenizerData
{
    /// <summary>Metadata key <c>tokenizer.ggml.model</c>; the other keys share its prefix.</summary>
    public const string ModelKey = "tokenizer.ggml.model";

    const string PreKey = "tokenizer.ggml.pre", TokensKey = "tokenizer.ggml.tokens", MergesKey = "tokenizer.ggml.merges",
        ScoresKey = "tokenizer.ggml.scores", TypesKey = "tokenizer.ggml.token_type", BosKey = "tokenizer.ggml.bos_token_id",
        EosKey = "tokenizer.ggml.eos_token_id", UnknownKey = "tokenizer.ggml.unknown_token_id", PadKey = "tokenizer.ggml.padding_token_id",
        AddBosKey = "tokenizer.ggml.add_bos_token", AddEosKey = "tokenizer.ggml.add_eos_token", AddSpacePrefixKey = "tokenizer.ggml.add_space_prefix";

    /// <summary>Whether <paramref name="metadata"/> holds a tokenizer (<c>tokenizer.ggml.model</c> is present).</summary>
    public static bool IsPresent(GgufMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return metadata.ContainsKey(ModelKey);
    }

    /// <summary>Reads the <c>tokenizer.ggml.*</c> metadata of an open GGUF file; errors name the file.</summary>
    /// <exception cref="InvalidTokenizerFileException">A key is missing, of the wrong type or length, or an id is out of range.</exception>
    public static GgufTokenizerData FromGguf(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return FromMetadata(file.Metadata, file.FilePath);
    }

    /// <summary>
    /// Reads the <c>tokenizer.ggml.*</c> keys of <paramref name="metadata"/> (a <see cref="GgufMetadata"/>, or pairs such as
    /// <see cref="ToMetadata"/> returns). Types as llama.cpp writes them: strings, arrays of strings, FLOAT32 scores; token
    /// types and ids of any integer type (files hold INT32 or UINT32); BOOL flags. Absent optional keys keep the defaults.
    /// </summary>
    /// <param name="metadata">The key/value pairs.</param>
    /// <param name="source">The .gguf path (or another description), named in errors and kept as <see cref="Source"/>.</param>
    /// <exception cref="InvalidTokenizerFileException">A key is missing, of the wrong type or length, or an id is out of range.</exception>
    public static GgufTokenizerData FromMetadata(IReadOnlyList<KeyValuePair<string, GgufValue>> metadata, string source)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(source);
        Func<string, GgufValue?> get = metadata is GgufMetadata m
            ? key => m.TryGet(key, out GgufValue v) ? v : null
            : metadata.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal).GetValueOrDefault;
        InvalidTokenizerFileException Bad(string key, string problem) => new(source, key, problem);

        GgufValue Required(string key) => get(key) ?? throw Bad(key, key == ModelKey ? "missing: the file holds no tokenizer" : "missing");
        string String(GgufValue v, string key) => v.Type == GgufValueType.String ? v.AsString() : throw Bad(key, $"expected a STRING, found {v}");
        string[] Strings(GgufValue v, string key) =>
            v.IsArray && v.ElementType == GgufValueType.String ? [.. v.AsArray<string>()] : throw Bad(key, $"expected an ARRAY of STRING, found {v}");
        void Length(GgufValue v, string key, int n)
        {
            if (v.Count != n) throw Bad(key, $"expected {n} entries (one per token), found {v.Count}");
        }
        long[] Integers(GgufValue v, string key)
        {
            try { return v.ToInt64Array(); }
            catch (InvalidOperationException) { throw Bad(key, $"expected an ARRAY of INT32, found {v}"); }
        }
        bool Flag(string key, bool fallback) => get(key) is not { } v ? fallback
            : v.Type == GgufValueType.Bool ? v.AsBool() : throw Bad(key, $"expected a BOOL, found {v}");

        string model = String(Required(ModelKey), ModelKey);
        string[] tokens = Strings(Required(TokensKey), TokensKey);
        int n = tokens.Length;
        if (n == 0) throw Bad(TokensKey, "no tokens");
        int Id(string key)
        {
            if (get(key) is not { } v) return -1;
            long id;
            try { id = v.ToInt64(); }
            catch (InvalidOperationException) { throw Bad(key, $"expected a UINT32 token id, found {v}"); }
            return id >= 0 && id < n ? (int)id : throw Bad(key, $"expected an id in [0, {n}), found {id}");
        }

        float[]? scores = null;
        if (get(ScoresKey) is { } s)
        {
            if (!s.IsArray || s.ElementType != GgufValueType.Float32) throw Bad(ScoresKey, $"expected an ARRAY of FLOAT32, found {s}");
            Length(s, ScoresKey, n);
            scores = [.. s.AsArray<float>()];
        }
        GgufTokenType[]? types = null;
        if (get(TypesKey) is { } t)
        {
            long[] raw = Integers(t, TypesKey);
            Length(t, TypesKey, n);
            types = new GgufTokenType[n];
            for (int i = 0; i < n; i++)
                types[i] = raw[i] is >= 0 and <= 6 ? (GgufTokenType)raw[i] : throw Bad($"{TypesKey}[{i}]", $"expected 0–6, found {raw[i]}");
        }
        return new GgufTokenizerData
        {
            Model = model,
            Pre = get(PreKey) is { } p ? String(p, PreKey) : null,
            Tokens = tokens,
            Merges = get(MergesKey) is { } mg ? Strings(mg, MergesKey) : null,
            Scores = scores,
            TokenTypes = types,
            BosId = Id(BosKey),
            EosId = Id(EosKey),
            UnknownId = Id(UnknownKey),
            PaddingId = Id(PadKey),
            AddBos = Flag(AddBosKey, false),
            AddEos = Flag(AddEosKey, false),
            AddSpacePrefix = Flag(AddSpacePrefixKey, true),
            Source = source,
        };
    }

    /// <summary>
    /// The <c>tokenizer.ggml.*</c> key/value pairs in the order llama.cpp's converter writes them, with its types
    /// (arrays of STRING, FLOAT32 scores, INT32 token types, UINT32 ids, BOOL flags); for
    /// <c>GgufCheckpoint.Export</c>'s extra metadata. Absent ids (−1) and null arrays are left out;
    /// <c>add_space_prefix</c> is written for llama (SentencePiece) vocabularies only, which are the ones that use it.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, GgufValue>> ToMetadata()
    {
        var list = new List<KeyValuePair<string, GgufValue>>();
        void Add(string key, GgufValue value) => list.Add(new(key, value));
        Add(ModelKey, GgufValue.String(Model));
        if (Pre is not null) Add(PreKey, GgufValue.String(Pre));
        Add(TokensKey, GgufValue.Array(Tokens));
        if (Scores is not null) Add(ScoresKey, GgufValue.Array(Scores));
        if (TokenTypes is not null) Add(TypesKey, GgufValue.Array(TokenTypes.Select(t => (int)t)));
        if (Merges is not null) Add(MergesKey, GgufValue.Array(Merges));
        foreach (var (key, id) in (ReadOnlySpan<(string, int)>)[(BosKey, BosId), (EosKey, EosId), (UnknownKey, UnknownId), (PadKey, PaddingId)])
            if (id >= 0) Add(key, GgufValue.UInt32((uint)id));
        Add(AddBosKey, GgufValue.Bool(AddBos));
        Add(AddEosKey, GgufValue.Bool(AddEos));
        if (Model == "llama") Add(AddSpacePrefixKey, GgufValue.Bool(AddSpacePrefix));
        return list;
    }
}
