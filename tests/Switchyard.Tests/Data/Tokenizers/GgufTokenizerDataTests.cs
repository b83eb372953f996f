using System.Collections.Concurrent;
using Switchyard.Data;
using Switchyard.Data.Tokenizers;
using Switchyard.Formats.Gguf;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Data.Tokenizers;

public sealed class GgufTokenizerDataTests
{
    static readonly ConcurrentDictionary<string, Lazy<PretrainedTokenizer>> s_viaGguf = new();

    // The fixture exported to GGUF metadata and built back the way llama.cpp tokenizes.
    static PretrainedTokenizer ViaGguf(string fixture) =>
        s_viaGguf.GetOrAdd(fixture, f => new Lazy<PretrainedTokenizer>(() => GgufTokenizerData.From(TokenizerFixtures.Load(f)).CreateTokenizer())).Value;

    public static TheoryData<string, int> Cases() => TokenizerFixtures.Cases();

    [Theory, MemberData(nameof(Cases))]
    public void CreateTokenizer_ExportedRealTokenizer_MatchesTransformersJs(string fixture, int index)
    {
        GoldenCase c = TokenizerFixtures.Golden(fixture)[index];
        Assert.SkipWhen(fixture == "qwen3" && TokenizerFixtures.NeedsUnicodeNormalization(c.Text), "no Unicode normalization under InvariantGlobalization");
        PretrainedTokenizer tok = ViaGguf(fixture);

        Assert.Equal(c.Ids, tok.Encode(c.Text));
        Assert.Equal(c.WithSpecial, tok.Encode(c.Text, addSpecialTokens: true));
        Assert.Equal(c.Decoded, tok.Decode(c.Ids));
    }

    [Fact]
    public void From_HfTokenizers_MapsModelPreAndSpecialIds()
    {
        GgufTokenizerData gpt2 = GgufTokenizerData.From(TokenizerFixtures.Load("gpt2"));
        Assert.Equal(("gpt2", "gpt-2", 50257, 50000), (gpt2.Model, gpt2.Pre, gpt2.Tokens.Length, gpt2.Merges!.Length));
        Assert.Equal(GgufTokenType.Control, gpt2.TokenTypes![50256]);
        Assert.Equal(50256, gpt2.EosId);

        GgufTokenizerData qwen = GgufTokenizerData.From(TokenizerFixtures.Load("qwen3"));
        Assert.Equal("qwen2", qwen.Pre);
        Assert.Equal(GgufTokenType.UserDefined, qwen.TokenTypes![qwen.Tokens.AsSpan().IndexOf("<think>")]);

        GgufTokenizerData mistral = GgufTokenizerData.From(TokenizerFixtures.Load("mistral"));
        Assert.Equal(("llama", 1, 2, 0, true), (mistral.Model, mistral.BosId, mistral.EosId, mistral.UnknownId, mistral.AddBos));
        Assert.Equal(GgufTokenType.Byte, mistral.TokenTypes![3 + 0x41]);
        Assert.Equal(GgufTokenType.Unknown, mistral.TokenTypes[0]);
        Assert.Equal(mistral.Tokens.Length, mistral.Scores!.Length);
    }

    [Fact]
    public void From_GgufCreatedTokenizer_ReturnsTheSameMetadata()
    {
        GgufTokenizerData data = Handmade();
        Assert.Same(data, GgufTokenizerData.From(data.CreateTokenizer()));
    }

    [Fact]
    public void From_BpeVocabulary_SameIdsAsBpeTokenizer()
    {
        BpeVocabulary vocab = BpeTrainer.Train(TokenizerFilesTests.TrainingTexts(), vocabSize: 400);
        var ours = BpeTokenizer.Create(vocab);
        GgufTokenizerData data = GgufTokenizerData.From(ours);
        PretrainedTokenizer tok = data.CreateTokenizer();

        Assert.Equal(("gpt2", "switchyard", 258, 257, 256), (data.Model, data.Pre, data.EosId, data.BosId, data.PaddingId));
        foreach (string text in TokenizerFilesTests.Strings())
        {
            Assert.Equal(ours.Encode(text), tok.Encode(text));
            Assert.Equal(ours.Decode(ours.Encode(text)), tok.Decode(tok.Encode(text)));
        }
    }

    [Fact]
    public void From_ByteTokenizer_OneIdPerByte()
    {
        PretrainedTokenizer tok = GgufTokenizerData.From(ByteTokenizer.Instance).CreateTokenizer();
        Assert.Equal(ByteTokenizer.Instance.Encode("héllo 🚂"), tok.Encode("héllo 🚂"));
        Assert.Equal(259, tok.VocabSize);
    }

    // A tiny llama (SentencePiece) vocabulary: 3 controls, 256 bytes, then pieces with scores.
    static GgufTokenizerData Handmade(bool addBos = true)
    {
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        var types = new List<GgufTokenType> { GgufTokenType.Unknown, GgufTokenType.Control, GgufTokenType.Control };
        var scores = new List<float> { 0, 0, 0 };
        for (int b = 0; b < 256; b++) { tokens.Add($"<0x{b:X2}>"); types.Add(GgufTokenType.Byte); scores.Add(0); }
        foreach (var (piece, score) in (ReadOnlySpan<(string, float)>)[("▁", -1), ("a", -2), ("b", -3), ("ab", -4), ("▁a", -5), ("▁ab", -6), ("bb", -0.5f)])
        {
            tokens.Add(piece); types.Add(GgufTokenType.Normal); scores.Add(score);
        }
        return new GgufTokenizerData
        {
            Model = "llama", Tokens = [.. tokens], TokenTypes = [.. types], Scores = [.. scores],
            BosId = 1, EosId = 2, UnknownId = 0, AddBos = addBos,
        };
    }

    [Fact]
    public void CreateTokenizer_Llama_MergesHighestScoreFirstAndFallsBackToBytes()
    {
        PretrainedTokenizer tok = Handmade().CreateTokenizer();
        int Id(string s) => tok.TokenToId(s)!.Value;

        // "▁abb": bb (−0.5) beats ▁a (−5) and ab (−4), leaving ▁a + bb.
        Assert.Equal([1, Id("▁a"), Id("bb")], tok.Encode("abb", addSpecialTokens: true));
        // "é" is not a piece: its UTF-8 bytes.
        Assert.Equal([Id("▁"), Id("<0xC3>"), Id("<0xA9>")], tok.Encode("é"));
        Assert.Equal("é ab", tok.Decode(tok.Encode("é ab")));
        // A space prefix follows special tokens too, as llama.cpp adds it.
        Assert.Equal([Id("▁ab"), 2, Id("▁ab")], tok.Encode("ab</s>ab"));
    }

    [Fact]
    public void CreateTokenizer_TokenTypesWrongLength_ThrowsNamingKey()
    {
        var data = Handmade() with { TokenTypes = [GgufTokenType.Normal], Source = "model.gguf" };
        var e = Assert.Throws<InvalidTokenizerFileException>(data.CreateTokenizer);
        Assert.Contains("model.gguf: tokenizer.ggml.token_type", e.Message);
        Assert.Contains("expected 266 entries", e.Message);
    }

    [Fact]
    public void CreateTokenizer_UnknownModel_ListsSupported()
    {
        var e = Assert.Throws<InvalidTokenizerFileException>((Handmade() with { Model = "bert" }).CreateTokenizer);
        Assert.Contains("tokenizer.ggml.model: 'bert' is not supported (supported: gpt2, llama)", e.Message);
    }

    [Fact]
    public void CreateTokenizer_LlamaWithoutScores_Throws()
    {
        var e = Assert.Throws<InvalidTokenizerFileException>((Handmade() with { Scores = null }).CreateTokenizer);
        Assert.Contains("tokenizer.ggml.scores", e.Message);
    }

    [Fact]
    public void CreateTokenizer_BosOutOfRange_Throws()
    {
        var e = Assert.Throws<InvalidTokenizerFileException>((Handmade() with { BosId = 5000 }).CreateTokenizer);
        Assert.Contains("tokenizer.ggml.bos_token_id", e.Message);
        Assert.Contains("found 5000", e.Message);
    }

    [Fact]
    public void CreateTokenizer_UnknownPre_ListsSupported()
    {
        var data = GgufTokenizerData.From(ByteTokenizer.Instance) with { Pre = "mystery" };
        var e = Assert.Throws<InvalidTokenizerFileException>(data.CreateTokenizer);
        Assert.Contains("tokenizer.ggml.pre: pre-tokenizer 'mystery' is not supported", e.Message);
        Assert.Contains("qwen2", e.Message);
    }

    [Fact]
    public void CreateTokenizer_BadMerge_ThrowsAtIndex()
    {
        var data = GgufTokenizerData.From(ByteTokenizer.Instance) with { Merges = ["Ġ t", "oops"] };
        var e = Assert.Throws<InvalidTokenizerFileException>(data.CreateTokenizer);
        Assert.Contains("tokenizer.ggml.merges[1]", e.Message);
    }

    static void AssertSameFields(GgufTokenizerData expected, GgufTokenizerData actual)
    {
        Assert.Equal((expected.Model, expected.Pre), (actual.Model, actual.Pre));
        Assert.Equal(expected.Tokens, actual.Tokens);
        Assert.Equal(expected.Merges, actual.Merges);
        Assert.Equal(expected.Scores, actual.Scores);
        Assert.Equal(expected.TokenTypes, actual.TokenTypes);
        Assert.Equal((expected.BosId, expected.EosId, expected.UnknownId, expected.PaddingId), (actual.BosId, actual.EosId, actual.UnknownId, actual.PaddingId));
        Assert.Equal((expected.AddBos, expected.AddEos, expected.AddSpacePrefix), (actual.AddBos, actual.AddEos, actual.AddSpacePrefix));
    }

    [Fact]
    public void ToMetadata_WrittenToGgufAndReadBack_SameFieldsTypesAndIds()
    {
        // Given a SentencePiece-style (llama) and a byte-level (gpt2) tokenizer
        var bpe = BpeTokenizer.Create(BpeTrainer.Train(["The cat sat on the mat.", "the cat and the hat", "ab abb abba"], vocabSize: 280));
        foreach (GgufTokenizerData data in new[] { Handmade(), GgufTokenizerData.From(bpe) })
        {
            // When its metadata goes through a .gguf file
            using var dir = new TempDirectory();
            string path = dir.File("t.gguf");
            new GgufWriter().AddMetadata(data.ToMetadata()).Write(path);
            using var file = GgufFile.Open(path);
            GgufTokenizerData back = GgufTokenizerData.FromGguf(file);

            // Then fields, llama.cpp's value types and the ids it encodes to are the same
            AssertSameFields(data, back);
            Assert.Equal(path, back.Source);
            GgufMetadata m = file.Metadata;
            Assert.Equal((GgufValueType.Array, GgufValueType.String), (m["tokenizer.ggml.tokens"].Type, m["tokenizer.ggml.tokens"].ElementType));
            Assert.Equal(GgufValueType.Int32, m["tokenizer.ggml.token_type"].ElementType);
            Assert.Equal(GgufValueType.UInt32, m["tokenizer.ggml.eos_token_id"].Type);
            Assert.Equal(GgufValueType.Bool, m["tokenizer.ggml.add_bos_token"].Type);
            if (data.Scores is not null) Assert.Equal(GgufValueType.Float32, m["tokenizer.ggml.scores"].ElementType);
            PretrainedTokenizer a = data.CreateTokenizer(), b = back.CreateTokenizer();
            foreach (string text in new[] { "abb ab", "The cat sat.", "é ab</s>ab", "" })
                Assert.Equal(a.Encode(text, addSpecialTokens: true), b.Encode(text, addSpecialTokens: true));
        }
        Assert.False(GgufTokenizerData.IsPresent(GgufFileWithout()));
    }

    static GgufMetadata GgufFileWithout()
    {
        using var dir = new TempDirectory();
        new GgufWriter().AddMetadata("general.name", GgufValue.String("x")).Write(dir.File("x.gguf"));
        using var file = GgufFile.Open(dir.File("x.gguf"));
        return file.Metadata;
    }

    [Fact]
    public void FromMetadata_TokenTypesAsUInt32_Accepted()
    {
        // Some converters store token types as UINT32; llama.cpp reads either.
        GgufTokenizerData data = Handmade();
        var meta = data.ToMetadata().Select(kv => kv.Key == "tokenizer.ggml.token_type"
            ? new KeyValuePair<string, GgufValue>(kv.Key, GgufValue.Array(data.TokenTypes!.Select(t => (uint)t))) : kv).ToList();
        AssertSameFields(data, GgufTokenizerData.FromMetadata(meta, "m.gguf"));
    }

    public static TheoryData<string, string?, string> BadEntries() => new()
    {
        { "tokenizer.ggml.model", null, "m.gguf: tokenizer.ggml.model: missing: the file holds no tokenizer" },
        { "tokenizer.ggml.model", "int", "m.gguf: tokenizer.ggml.model: expected a STRING, found INT32 7" },
        { "tokenizer.ggml.tokens", "floats", "m.gguf: tokenizer.ggml.tokens: expected an ARRAY of STRING, found ARRAY[FLOAT32 × 2]" },
        { "tokenizer.ggml.scores", "floats", "m.gguf: tokenizer.ggml.scores: expected 266 entries (one per token), found 2" },
        { "tokenizer.ggml.scores", "int", "m.gguf: tokenizer.ggml.scores: expected an ARRAY of FLOAT32, found INT32 7" },
        { "tokenizer.ggml.token_type", "floats", "m.gguf: tokenizer.ggml.token_type: expected an ARRAY of INT32, found ARRAY[FLOAT32 × 2]" },
        { "tokenizer.ggml.token_type", "ints", "m.gguf: tokenizer.ggml.token_type: expected 266 entries (one per token), found 2" },
        { "tokenizer.ggml.bos_token_id", "string", "m.gguf: tokenizer.ggml.bos_token_id: expected a UINT32 token id, found STRING \"x\"" },
        { "tokenizer.ggml.eos_token_id", "int", "m.gguf: tokenizer.ggml.eos_token_id: expected an id in [0, 266), found 7000" },
        { "tokenizer.ggml.add_bos_token", "int", "m.gguf: tokenizer.ggml.add_bos_token: expected a BOOL, found INT32 7" },
    };

    [Theory, MemberData(nameof(BadEntries))]
    public void FromMetadata_WrongTypeOrLength_ThrowsNamingFileAndKey(string key, string? replacement, string message)
    {
        GgufValue? value = replacement switch
        {
            null => null,
            "int" => GgufValue.Int32(key.EndsWith("_id", StringComparison.Ordinal) ? 7000 : 7),
            "string" => GgufValue.String("x"),
            "floats" => GgufValue.Array(new[] { 1f, 2f }),
            _ => GgufValue.Array(new[] { 1, 1 }),
        };
        var meta = Handmade().ToMetadata().Where(kv => kv.Key != key).ToList();
        if (value is not null) meta.Add(new(key, value));
        var e = Assert.Throws<InvalidTokenizerFileException>(() => GgufTokenizerData.FromMetadata(meta, "m.gguf"));
        Assert.Equal(message, e.Message);
    }
}
