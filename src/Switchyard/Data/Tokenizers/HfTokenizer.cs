using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Switchyard.Data.Tokenizers;

/// <summary>
/// Loads Hugging Face <c>tokenizer.json</c> files whose model is BPE: byte-level BPE (GPT-2, Qwen2/Qwen3,
/// Llama 3, GPT-NeoX/OLMoE: ByteLevel pre-tokenizer, optionally after a Split regex) and SentencePiece-style
/// BPE with byte fallback (Llama 2, Mistral, Mixtral: "▁" for spaces, <c>&lt;0xNN&gt;</c> byte tokens).
/// A <c>tokenizer_config.json</c> beside the file, when present, names the BOS/EOS/padding tokens.
/// </summary>
public static class HfTokenizer
{
    /// <summary>The tokenizer file's name inside a model folder.</summary>
    public const string FileName = "tokenizer.json";

    /// <summary>The optional configuration file read beside it.</summary>
    public const string ConfigFileName = "tokenizer_config.json";

    /// <summary>Loads <paramref name="tokenizerJsonPath"/> (a <c>tokenizer.json</c>, or a folder holding one).</summary>
    /// <exception cref="InvalidTokenizerFileException">The file is missing, not JSON, malformed, or uses a model or step this loader does not support (Unigram, WordPiece, ...).</exception>
    public static PretrainedTokenizer Load(string tokenizerJsonPath)
    {
        ArgumentNullException.ThrowIfNull(tokenizerJsonPath);
        string path = Directory.Exists(tokenizerJsonPath) ? Path.Combine(tokenizerJsonPath, FileName) : tokenizerJsonPath;
        if (!File.Exists(path)) throw new InvalidTokenizerFileException(path, "", "file not found");
        using JsonDocument doc = Parse(path);
        string configPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, ConfigFileName);
        using JsonDocument? config = File.Exists(configPath) ? Parse(configPath) : null;
        return new Reader(path, configPath).Build(doc.RootElement, config?.RootElement);
    }

    static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new InvalidTokenizerFileException(path, $"line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}", $"not valid JSON: {e.Message}", e);
        }
    }

    sealed class Reader(string path, string configPath)
    {
        InvalidTokenizerFileException Bad(string at, string problem) => new(path, at, problem);

        public PretrainedTokenizer Build(JsonElement root, JsonElement? config)
        {
            if (root.ValueKind != JsonValueKind.Object) throw Bad("$", $"expected an object, found {Kind(root)}");
            JsonElement model = Required(root, "model", "$", JsonValueKind.Object);
            string type = model.TryGetProperty("type", out var t) ? Str(t, "$.model.type") : (model.TryGetProperty("merges", out _) ? "BPE" : "(none)");
            if (type != "BPE")
                throw Bad("$.model.type", $"model type '{type}' is not supported: only BPE tokenizers (byte-level or SentencePiece-style with byte fallback) can be loaded, not Unigram, WordPiece or WordLevel");
            foreach (string unsupported in (string[])["continuing_subword_prefix", "end_of_word_suffix"])
                if (model.TryGetProperty(unsupported, out var v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Length > 0)
                    throw Bad($"$.model.{unsupported}", $"'{v.GetString()}' is not supported (only empty or null)");
            if (model.TryGetProperty("dropout", out var dropout) && dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() > 0)
                throw Bad("$.model.dropout", $"BPE dropout {dropout.GetDouble()} is not supported for inference (expected null)");

            // Vocabulary.
            JsonElement vocabJson = Required(model, "vocab", "$.model", JsonValueKind.Object);
            var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
            int maxId = -1;
            foreach (var p in vocabJson.EnumerateObject())
            {
                int id = Int(p.Value, $"$.model.vocab['{p.Name}']");
                if (id < 0) throw Bad($"$.model.vocab['{p.Name}']", $"expected an id ≥ 0, found {id}");
                vocab[p.Name] = id;
                maxId = Math.Max(maxId, id);
            }
            if (vocab.Count == 0) throw Bad("$.model.vocab", "the vocabulary is empty");

            // Merges: "a b" strings (older files) or [a, b] pairs (tokenizers ≥ 0.20).
            var merges = new List<(string, string)>();
            if (model.TryGetProperty("merges", out var mergesJson) && mergesJson.ValueKind != JsonValueKind.Null)
            {
                if (mergesJson.ValueKind != JsonValueKind.Array) throw Bad("$.model.merges", $"expected an array, found {Kind(mergesJson)}");
                int r = 0;
                foreach (var m in mergesJson.EnumerateArray())
                {
                    string at = $"$.model.merges[{r++}]";
                    (string, string) pair;
                    if (m.ValueKind == JsonValueKind.String)
                    {
                        string s = m.GetString()!;
                        int space = s.IndexOf(' ');
                        if (space <= 0 || space == s.Length - 1 || s.IndexOf(' ', space + 1) >= 0)
                            throw Bad(at, $"expected \"left right\" (two tokens separated by one space), found \"{s}\"");
                        pair = (s[..space], s[(space + 1)..]);
                    }
                    else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2 && m[0].ValueKind == JsonValueKind.String && m[1].ValueKind == JsonValueKind.String)
                        pair = (m[0].GetString()!, m[1].GetString()!);
                    else throw Bad(at, $"expected \"left right\" or [\"left\", \"right\"], found {Kind(m)}");
                    merges.Add(pair);
                }
            }

            // Added tokens: they take their ids from here even when the model's vocab also has them.
            var added = new List<AddedToken>();
            if (root.TryGetProperty("added_tokens", out var addedJson) && addedJson.ValueKind != JsonValueKind.Null)
            {
                if (addedJson.ValueKind != JsonValueKind.Array) throw Bad("$.added_tokens", $"expected an array, found {Kind(addedJson)}");
                int k = 0;
                foreach (var a in addedJson.EnumerateArray())
                {
                    string at = $"$.added_tokens[{k++}]";
                    if (a.ValueKind != JsonValueKind.Object) throw Bad(at, $"expected an object, found {Kind(a)}");
                    int id = Int(Required(a, "id", at, JsonValueKind.Number), at + ".id");
                    if (id < 0) throw Bad(at + ".id", $"expected an id ≥ 0, found {id}");
                    string content = Str(Required(a, "content", at, JsonValueKind.String), at + ".content");
                    if (content.Length == 0) throw Bad(at + ".content", "empty added token");
                    added.Add(new AddedToken(id, content, Bool(a, "special", at), Bool(a, "normalized", at), Bool(a, "lstrip", at), Bool(a, "rstrip", at), Bool(a, "single_word", at)));
                    maxId = Math.Max(maxId, id);
                }
            }

            TextNormalizer? normalizer = root.TryGetProperty("normalizer", out var nj) && nj.ValueKind != JsonValueKind.Null ? Normalizer(nj, "$.normalizer") : null;
            var pre = new List<PreTokenizerStep>();
            if (root.TryGetProperty("pre_tokenizer", out var pj) && pj.ValueKind != JsonValueKind.Null) PreTokenizers(pj, "$.pre_tokenizer", pre);
            var decoder = new DecoderInfo();
            if (root.TryGetProperty("decoder", out var dj) && dj.ValueKind != JsonValueKind.Null) Decoder(dj, "$.decoder", decoder);

            bool byteLevel = pre.Any(s => s is PreTokenizerStep.ByteLevelStep) || decoder.ByteLevel;
            bool byteFallback = model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True;
            if (byteLevel && byteFallback) throw Bad("$.model.byte_fallback", "byte fallback together with a ByteLevel pre-tokenizer is not supported");

            string? unkToken = model.TryGetProperty("unk_token", out var uj) && uj.ValueKind == JsonValueKind.String ? uj.GetString() : null;
            int unkId = -1;
            if (unkToken is not null && !vocab.TryGetValue(unkToken, out unkId))
                throw Bad("$.model.unk_token", $"'{unkToken}' is not in the vocabulary");

            // Id table: model vocabulary, then added tokens (which win).
            var tokens = new string?[maxId + 1];
            var special = new bool[maxId + 1];
            var bytes = new byte[maxId + 1][];
            int[]? byteIds = byteFallback ? TokenizerBuilder.ByteTokenIds(vocab) : null;
            if (byteFallback && byteIds is null) throw Bad("$.model.byte_fallback", "byte fallback needs the 256 tokens <0x00> … <0xFF> in the vocabulary");
            foreach (var (tok, id) in vocab)
            {
                tokens[id] = tok;
                bytes[id] = byteLevel ? TokenizerBuilder.ByteLevelBytes(tok)
                    : decoder.SentencePiece ? TokenizerBuilder.SentencePieceBytes(tok, decoder.ByteFallback || byteFallback)
                    : Encoding.UTF8.GetBytes(tok);
            }
            var ids = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
            foreach (var a in added)
            {
                tokens[a.Id] = a.Content;
                special[a.Id] = a.Special;
                bytes[a.Id] = byteLevel ? TokenizerBuilder.ByteLevelBytes(a.Content)
                    : decoder.SentencePiece ? TokenizerBuilder.SentencePieceBytes(a.Content, false) : Encoding.UTF8.GetBytes(a.Content);
                ids[a.Content] = a.Id;
            }
            for (int id = 0; id < bytes.Length; id++) bytes[id] ??= [];
            if (unkId >= 0) special[unkId] = special[unkId] || added.Any(a => a.Id == unkId && a.Special);

            bool ignoreMerges = model.TryGetProperty("ignore_merges", out var im) && im.ValueKind == JsonValueKind.True;
            TokenModel tokenModel;
            if (byteLevel)
                tokenModel = TokenizerBuilder.ByteLevelModel(vocab, merges, ignoreMerges, (at, why) => Bad("$.model." + at, why));
            else
            {
                if (ignoreMerges) throw Bad("$.model.ignore_merges", "ignore_merges is supported for byte-level BPE only");
                var table = TokenizerBuilder.MergeTable(vocab, merges, (r, why) => Bad($"$.model.merges[{r}]", why));
                bool fuse = model.TryGetProperty("fuse_unk", out var fu) && fu.ValueKind == JsonValueKind.True;
                tokenModel = new TokenModel.MergesBpe(vocab, table, byteIds, unkId, fuse);
            }

            // Post-processor: the ids Encode(text, addSpecialTokens: true) puts around the text.
            var (prefix, suffix) = root.TryGetProperty("post_processor", out var pp) && pp.ValueKind != JsonValueKind.Null
                ? PostProcessor(pp, "$.post_processor", ids) : ([], []);

            // BOS/EOS/PAD: tokenizer_config.json names them; else the template; else the usual names.
            int Named(string key, int fromTemplate, string[] usual)
            {
                if (config is { } c && c.TryGetProperty(key, out var v))
                {
                    string? name = v.ValueKind == JsonValueKind.String ? v.GetString()
                        : v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var cc) && cc.ValueKind == JsonValueKind.String ? cc.GetString() : null;
                    if (name is null) return -1; // explicitly null: the model has none
                    if (!ids.TryGetValue(name, out int id)) throw new InvalidTokenizerFileException(configPath, "$." + key, $"'{name}' is not a token of {Path.GetFileName(path)}");
                    return id;
                }
                if (fromTemplate >= 0) return fromTemplate;
                foreach (string u in usual)
                    if (added.FirstOrDefault(a => a.Content == u && a.Special) is { } a) return a.Id;
                return -1;
            }
            int bos = Named("bos_token", prefix.Length > 0 ? prefix[0] : -1, ["<s>", "<|begin_of_text|>", "<bos>", "<|startoftext|>"]);
            int eos = Named("eos_token", suffix.Length > 0 ? suffix[^1] : -1, ["</s>", "<|end_of_text|>", "<|endoftext|>", "<eos>"]);
            int pad = Named("pad_token", root.TryGetProperty("padding", out var pdj) && pdj.ValueKind == JsonValueKind.Object && pdj.TryGetProperty("pad_id", out var pid) && pid.ValueKind == JsonValueKind.Number ? pid.GetInt32() : -1, ["<pad>", "<|pad|>", "[PAD]"]);

            Regex? splitPattern = pre.OfType<PreTokenizerStep.RegexSplit>().FirstOrDefault()?.Pattern ?? pre.OfType<PreTokenizerStep.ByteLevelStep>().FirstOrDefault()?.Pattern;
            return new PretrainedTokenizer(new PretrainedTokenizer.Parts
            {
                Tokens = tokens,
                Ids = ids,
                Special = special,
                Bytes = bytes,
                Normalizer = normalizer,
                PreTokenizers = [.. pre],
                AddedTokens = added,
                Model = tokenModel,
                Prefix = prefix,
                Suffix = suffix,
                StripLeadingSpace = decoder.StripLeadingSpace,
                BosId = bos,
                EosId = eos,
                PadId = pad,
                UnknownId = unkId,
                Kind = byteLevel ? TokenizerKind.ByteLevelBpe : TokenizerKind.SentencePieceMerges,
                Export = new PretrainedTokenizer.ExportInfo(merges, null, splitPattern, GgufPreName(pre)),
            });
        }

        // The GGUF pre-tokenizer name llama.cpp uses for the same regex, when there is one.
        static string? GgufPreName(List<PreTokenizerStep> pre)
        {
            string? source = pre.OfType<PreTokenizerStep.RegexSplit>().FirstOrDefault()?.Source
                ?? (pre.OfType<PreTokenizerStep.ByteLevelStep>().FirstOrDefault()?.Pattern is not null ? TokenizerBuilder.Gpt2Pattern : null);
            if (source is null) return null;
            foreach (var (name, pattern) in TokenizerBuilder.GgufPrePatterns)
                if (pattern == source) return name;
            return null;
        }

        TextNormalizer Normalizer(JsonElement n, string at)
        {
            string type = Type(n, at);
            switch (type)
            {
                case "NFC": return new TextNormalizer.Unicode(NormalizationForm.FormC);
                case "NFD": return new TextNormalizer.Unicode(NormalizationForm.FormD);
                case "NFKC": return new TextNormalizer.Unicode(NormalizationForm.FormKC);
                case "NFKD": return new TextNormalizer.Unicode(NormalizationForm.FormKD);
                case "Lowercase": return new TextNormalizer.Lowercase();
                case "Prepend": return new TextNormalizer.Prepend(Str(Required(n, "prepend", at, JsonValueKind.String), at + ".prepend"));
                case "Strip": return new TextNormalizer.Strip(Bool(n, "strip_left", at), Bool(n, "strip_right", at));
                case "Replace":
                {
                    var (literal, regex) = Pattern(Required(n, "pattern", at, JsonValueKind.Object), at + ".pattern");
                    return new TextNormalizer.Replace(literal, regex, Str(Required(n, "content", at, JsonValueKind.String), at + ".content"));
                }
                case "Sequence":
                {
                    var list = new List<TextNormalizer>();
                    int k = 0;
                    foreach (var s in Required(n, "normalizers", at, JsonValueKind.Array).EnumerateArray()) list.Add(Normalizer(s, $"{at}.normalizers[{k++}]"));
                    return new TextNormalizer.Sequence([.. list]);
                }
                default:
                    throw Bad(at + ".type", $"normalizer '{type}' is not supported (supported: NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, Sequence)");
            }
        }

        void PreTokenizers(JsonElement p, string at, List<PreTokenizerStep> steps)
        {
            string type = Type(p, at);
            switch (type)
            {
                case "Sequence":
                {
                    int k = 0;
                    foreach (var s in Required(p, "pretokenizers", at, JsonValueKind.Array).EnumerateArray()) PreTokenizers(s, $"{at}.pretokenizers[{k++}]", steps);
                    return;
                }
                case "ByteLevel":
                {
                    bool useRegex = !p.TryGetProperty("use_regex", out var ur) || ur.ValueKind != JsonValueKind.False;
                    steps.Add(new PreTokenizerStep.ByteLevelStep(Bool(p, "add_prefix_space", at), useRegex ? CodePointRegex.Create(TokenizerBuilder.Gpt2Pattern) : null));
                    return;
                }
                case "Split":
                {
                    var (literal, regex) = Pattern(Required(p, "pattern", at, JsonValueKind.Object), at + ".pattern");
                    regex ??= new Regex(Regex.Escape(literal!), RegexOptions.CultureInvariant);
                    string behavior = p.TryGetProperty("behavior", out var b) ? Str(b, at + ".behavior") : "Isolated";
                    var parsed = behavior switch
                    {
                        "Isolated" => PreTokenizerStep.Behavior.Isolated,
                        "Removed" => PreTokenizerStep.Behavior.Removed,
                        "MergedWithPrevious" => PreTokenizerStep.Behavior.MergedWithPrevious,
                        "MergedWithNext" => PreTokenizerStep.Behavior.MergedWithNext,
                        _ => throw Bad(at + ".behavior", $"split behavior '{behavior}' is not supported (supported: Isolated, Removed, MergedWithPrevious, MergedWithNext)"),
                    };
                    string? source = literal is null ? Str(p.GetProperty("pattern").GetProperty("Regex"), at + ".pattern.Regex") : null;
                    steps.Add(new PreTokenizerStep.RegexSplit(regex, parsed, Bool(p, "invert", at), source));
                    return;
                }
                case "Metaspace":
                {
                    string replacement = p.TryGetProperty("replacement", out var r) ? Str(r, at + ".replacement") : "\u2581";
                    if (replacement.Length != 1) throw Bad(at + ".replacement", $"expected one character, found '{replacement}'");
                    string scheme = p.TryGetProperty("prepend_scheme", out var ps) ? Str(ps, at + ".prepend_scheme")
                        : (p.TryGetProperty("add_prefix_space", out var aps) && aps.ValueKind == JsonValueKind.False ? "never" : "always");
                    if (scheme is not ("always" or "first" or "never")) throw Bad(at + ".prepend_scheme", $"expected always, first or never, found '{scheme}'");
                    steps.Add(new PreTokenizerStep.Metaspace(replacement[0], scheme, !p.TryGetProperty("split", out var sp) || sp.ValueKind != JsonValueKind.False));
                    return;
                }
                case "Digits":
                    steps.Add(new PreTokenizerStep.Digits(Bool(p, "individual_digits", at)));
                    return;
                default:
                    throw Bad(at + ".type", $"pre-tokenizer '{type}' is not supported (supported: ByteLevel, Split, Metaspace, Digits, Sequence)");
            }
        }

        (string? Literal, Regex? Regex) Pattern(JsonElement p, string at)
        {
            if (p.TryGetProperty("String", out var s)) return (Str(s, at + ".String"), null);
            if (p.TryGetProperty("Regex", out var r))
            {
                string source = Str(r, at + ".Regex");
                try
                {
                    return (null, CodePointRegex.Create(source));
                }
                catch (ArgumentException e)
                {
                    throw Bad(at + ".Regex", $"cannot use the regular expression: {e.Message}");
                }
            }
            throw Bad(at, "expected {\"String\": ...} or {\"Regex\": ...}");
        }

        sealed class DecoderInfo
        {
            public bool ByteLevel, SentencePiece, ByteFallback, StripLeadingSpace;
        }

        void Decoder(JsonElement d, string at, DecoderInfo info)
        {
            string type = Type(d, at);
            switch (type)
            {
                case "ByteLevel": info.ByteLevel = true; return;
                case "ByteFallback": info.ByteFallback = true; return;
                case "Fuse": return;
                case "Replace":
                {
                    var (literal, _) = Pattern(Required(d, "pattern", at, JsonValueKind.Object), at + ".pattern");
                    string content = Str(Required(d, "content", at, JsonValueKind.String), at + ".content");
                    if (literal != "\u2581" || content != " ") throw Bad(at, $"decoder Replace is supported only for \"▁\" → \" \", found \"{literal}\" → \"{content}\"");
                    info.SentencePiece = true;
                    return;
                }
                case "Strip":
                {
                    string content = Str(Required(d, "content", at, JsonValueKind.String), at + ".content");
                    int start = Int(Required(d, "start", at, JsonValueKind.Number), at + ".start"), stop = Int(Required(d, "stop", at, JsonValueKind.Number), at + ".stop");
                    if (content != " " || start > 1 || stop != 0) throw Bad(at, $"decoder Strip is supported only as (\" \", start 1, stop 0), found (\"{content}\", {start}, {stop})");
                    info.StripLeadingSpace = start == 1;
                    return;
                }
                case "Metaspace":
                {
                    info.SentencePiece = true;
                    string scheme = d.TryGetProperty("prepend_scheme", out var ps) ? Str(ps, at + ".prepend_scheme")
                        : (d.TryGetProperty("add_prefix_space", out var aps) && aps.ValueKind == JsonValueKind.False ? "never" : "always");
                    info.StripLeadingSpace = scheme != "never";
                    return;
                }
                case "Sequence":
                {
                    int k = 0;
                    foreach (var s in Required(d, "decoders", at, JsonValueKind.Array).EnumerateArray()) Decoder(s, $"{at}.decoders[{k++}]", info);
                    return;
                }
                default:
                    throw Bad(at + ".type", $"decoder '{type}' is not supported (supported: ByteLevel, Metaspace, and Sequence of Replace ▁→space, ByteFallback, Fuse, Strip)");
            }
        }

        (int[] Prefix, int[] Suffix) PostProcessor(JsonElement p, string at, Dictionary<string, int> ids)
        {
            string type = Type(p, at);
            switch (type)
            {
                case "ByteLevel": return ([], []);
                case "Sequence":
                {
                    var prefix = new List<int>();
                    var suffix = new List<int>();
                    int k = 0;
                    foreach (var s in Required(p, "processors", at, JsonValueKind.Array).EnumerateArray())
                    {
                        var (a, b) = PostProcessor(s, $"{at}.processors[{k++}]", ids);
                        prefix.AddRange(a);
                        suffix.AddRange(b);
                    }
                    return ([.. prefix], [.. suffix]);
                }
                case "RobertaProcessing" or "BertProcessing":
                {
                    int Token(string name)
                    {
                        var e = Required(p, name, at, JsonValueKind.Array);
                        if (e.GetArrayLength() != 2) throw Bad($"{at}.{name}", "expected [token, id]");
                        return Int(e[1], $"{at}.{name}[1]");
                    }
                    return ([Token("cls")], [Token("sep")]);
                }
                case "TemplateProcessing":
                {
                    var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
                    if (p.TryGetProperty("special_tokens", out var st) && st.ValueKind == JsonValueKind.Object)
                        foreach (var s in st.EnumerateObject())
                        {
                            var list = new List<int>();
                            int k = 0;
                            foreach (var id in Required(s.Value, "ids", $"{at}.special_tokens['{s.Name}']", JsonValueKind.Array).EnumerateArray())
                                list.Add(Int(id, $"{at}.special_tokens['{s.Name}'].ids[{k++}]"));
                            specials[s.Name] = [.. list];
                        }
                    var prefix = new List<int>();
                    var suffix = new List<int>();
                    bool seenSequence = false;
                    int j = 0;
                    foreach (var item in Required(p, "single", at, JsonValueKind.Array).EnumerateArray())
                    {
                        string iat = $"{at}.single[{j++}]";
                        if (item.TryGetProperty("Sequence", out _)) { seenSequence = true; continue; }
                        if (!item.TryGetProperty("SpecialToken", out var sp)) throw Bad(iat, "expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
                        string name = Str(Required(sp, "id", iat + ".SpecialToken", JsonValueKind.String), iat + ".SpecialToken.id");
                        int[] tokenIds = specials.TryGetValue(name, out var found) ? found
                            : ids.TryGetValue(name, out int single) ? [single]
                            : throw Bad(iat + ".SpecialToken.id", $"'{name}' is neither in special_tokens nor a token");
                        (seenSequence ? suffix : prefix).AddRange(tokenIds);
                    }
                    return ([.. prefix], [.. suffix]);
                }
                default:
                    throw Bad(at + ".type", $"post-processor '{type}' is not supported (supported: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence)");
            }
        }

        string Type(JsonElement e, string at)
        {
            if (e.ValueKind != JsonValueKind.Object) throw Bad(at, $"expected an object, found {Kind(e)}");
            return Str(Required(e, "type", at, JsonValueKind.String), at + ".type");
        }

        JsonElement Required(JsonElement e, string name, string at, JsonValueKind kind)
        {
            if (e.ValueKind != JsonValueKind.Object) throw Bad(at, $"expected an object, found {Kind(e)}");
            if (!e.TryGetProperty(name, out var v)) throw Bad(at, $"missing \"{name}\"");
            if (v.ValueKind != kind) throw Bad($"{at}.{name}", $"expected {Article(kind)}, found {Kind(v)}");
            return v;
        }

        string Str(JsonElement e, string at) =>
            e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Bad(at, $"expected a string, found {Kind(e)}");

        int Int(JsonElement e, string at) =>
            e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) ? v : throw Bad(at, $"expected an integer id, found {Kind(e)}");

        bool Bool(JsonElement e, string name, string at)
        {
            if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return false;
            return v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Bad($"{at}.{name}", $"expected true or false, found {Kind(v)}"),
            };
        }

        static string Article(JsonValueKind k) => k switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            _ => k.ToString().ToLowerInvariant(),
        };

        static string Kind(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.String => $"the string \"{Truncate(e.GetString()!)}\"",
            JsonValueKind.Number => $"the number {e.GetRawText()}",
            JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
            JsonValueKind.Null => "null",
            _ => Article(e.ValueKind),
        };

        static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";
    }
}
