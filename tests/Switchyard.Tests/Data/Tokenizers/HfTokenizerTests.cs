using Switchyard.Data;
using Switchyard.Data.Tokenizers;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Data.Tokenizers;

public sealed class HfTokenizerTests
{
    public static TheoryData<string, int> Cases() => TokenizerFixtures.Cases();

    [Theory, MemberData(nameof(Cases))]
    public void Encode_RealTokenizer_MatchesTransformersJs(string fixture, int index)
    {
        GoldenCase c = TokenizerFixtures.Golden(fixture)[index];
        PretrainedTokenizer tok = TokenizerFixtures.Load(fixture);
        Assert.SkipWhen(fixture == "qwen3" && TokenizerFixtures.NeedsUnicodeNormalization(c.Text),
            "Qwen3's NFC normalizer is a no-op here: .NET has no Unicode normalization under InvariantGlobalization (docs/tokenizers.md)");

        Assert.Equal(c.Ids, tok.Encode(c.Text));
        Assert.Equal(c.WithSpecial, tok.Encode(c.Text, addSpecialTokens: true));
    }

    [Theory, MemberData(nameof(Cases))]
    public void Decode_RealTokenizer_MatchesTransformersJs(string fixture, int index)
    {
        GoldenCase c = TokenizerFixtures.Golden(fixture)[index];
        PretrainedTokenizer tok = TokenizerFixtures.Load(fixture);

        Assert.Equal(c.Decoded, tok.Decode(c.Ids));
    }

    [Theory, MemberData(nameof(Cases))]
    public void IncrementalDecoder_OneIdAtATime_EqualsFullDecode(string fixture, int index)
    {
        GoldenCase c = TokenizerFixtures.Golden(fixture)[index];
        PretrainedTokenizer tok = TokenizerFixtures.Load(fixture);
        var decoder = new IncrementalDecoder(tok);

        string streamed = string.Concat(c.WithSpecial.Select(decoder.Add)) + decoder.Flush();

        Assert.Equal(tok.Decode(c.WithSpecial), streamed);
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("qwen3")]
    public void EncodeDecode_ByteLevel_RoundTripsNormalizedText(string fixture)
    {
        // Byte-level BPE is lossless up to the normalizer (Qwen3: NFC).
        PretrainedTokenizer tok = TokenizerFixtures.Load(fixture);
        foreach (GoldenCase c in TokenizerFixtures.Golden(fixture))
        {
            string expected = fixture == "qwen3" ? c.Text.Normalize() : c.Text;
            Assert.Equal(expected, tok.Decode(tok.Encode(c.Text), skipSpecialTokens: false));
        }
    }

    [Fact]
    public void Load_Gpt2_SpecialTokensFromConfig()
    {
        PretrainedTokenizer tok = TokenizerFixtures.Load("gpt2");
        Assert.Equal(50257, tok.VocabSize);
        Assert.Equal(50256, tok.EosId);
        Assert.Equal(50256, tok.BosId);
        Assert.Equal(-1, tok.PadId);
        Assert.False(tok.AddBos);
        Assert.True(tok.IsSpecial(50256));
        Assert.False(tok.IsSpecial(15496));
        Assert.Equal("Hello", tok.IdToToken(15496));
        Assert.Equal(995, tok.TokenToId("Ġworld"));
        Assert.Null(tok.TokenToId("no such token"));
    }

    [Fact]
    public void Load_Mistral_SentencePieceWithBos()
    {
        PretrainedTokenizer tok = TokenizerFixtures.Load("mistral");
        Assert.Equal(32000, tok.VocabSize);
        Assert.Equal(1, tok.BosId);
        Assert.Equal(2, tok.EosId);
        Assert.Equal(0, tok.UnknownId);
        Assert.Equal(-1, tok.PadId);
        Assert.True(tok.AddBos);
        Assert.False(tok.AddEos);
        Assert.True(tok.StripsLeadingSpace);
        Assert.Equal("<0x41>", tok.IdToToken(3 + 0x41));
        Assert.Equal([1, 22557], tok.Encode("Hello", addSpecialTokens: true));
    }

    [Fact]
    public void Load_Qwen3_ChatTokens()
    {
        PretrainedTokenizer tok = TokenizerFixtures.Load("qwen3");
        Assert.Equal(151669, tok.VocabSize);
        Assert.Equal(-1, tok.BosId); // bos_token: null in tokenizer_config.json
        Assert.Equal(tok.TokenToId("<|im_end|>"), tok.EosId);
        Assert.Equal(tok.TokenToId("<|endoftext|>"), tok.PadId);
        Assert.False(tok.AddBos);
        Assert.True(tok.IsSpecial(tok.EosId));
        // <think> is an added token but not special: decoded as text.
        int think = tok.TokenToId("<think>")!.Value;
        Assert.False(tok.IsSpecial(think));
        Assert.Equal("<think>", tok.Decode([think]));
    }

    [Fact]
    public void Encode_LongUnsplitText_IsFast()
    {
        // SentencePiece BPE treats the whole text as one word: merging must not be quadratic.
        PretrainedTokenizer tok = TokenizerFixtures.Load("mistral");
        string text = string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog. ", 2000));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        int[] ids = tok.Encode(text);
        Assert.True(watch.ElapsedMilliseconds < 5000, $"{watch.ElapsedMilliseconds} ms");
        Assert.Equal(text.TrimEnd(), tok.Decode(ids).TrimEnd());
    }

    // ---- bad files ------------------------------------------------------------------------------

    static InvalidTokenizerFileException LoadBad(string json)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("tokenizer.json"), json);
        return Assert.Throws<InvalidTokenizerFileException>(() => HfTokenizer.Load(dir.File("tokenizer.json")));
    }

    const string Vocab = """{"a": 0, "b": 1, "ab": 2}""";

    [Fact]
    public void Load_Unigram_SaysNotSupported()
    {
        var e = LoadBad("""{"model": {"type": "Unigram", "vocab": [["a", -1.0]]}}""");
        Assert.Contains("$.model.type", e.Message);
        Assert.Contains("Unigram", e.Message);
        Assert.Contains("not supported", e.Message);
    }

    [Fact]
    public void Load_WordPiece_SaysNotSupported()
    {
        var e = LoadBad("""{"model": {"type": "WordPiece", "vocab": {"a": 0}}}""");
        Assert.Contains("'WordPiece' is not supported", e.Message);
    }

    [Fact]
    public void Load_NotJson_ThrowsWithLine()
    {
        var e = LoadBad("{\n  \"model\": {\n    \"type\": \"BPE\",,\n");
        Assert.Contains("line 3", e.Message);
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void Load_MissingFile_ThrowsNamingIt()
    {
        var e = Assert.Throws<InvalidTokenizerFileException>(() => HfTokenizer.Load("/nonexistent/tokenizer.json"));
        Assert.Contains("/nonexistent/tokenizer.json", e.Message);
    }

    [Fact]
    public void Load_MergeWithoutSpace_ThrowsAtMergeIndex()
    {
        var e = LoadBad($$$"""{"model": {"type": "BPE", "vocab": {{{Vocab}}}, "merges": ["a b", "ab"]}}""");
        Assert.Contains("$.model.merges[1]", e.Message);
        Assert.Contains("found \"ab\"", e.Message);
    }

    [Fact]
    public void Load_MergeOfUnknownToken_Throws()
    {
        var e = LoadBad($$$"""{"model": {"type": "BPE", "vocab": {{{Vocab}}}, "merges": [["a", "c"]]}}""");
        Assert.Contains("$.model.merges[0]", e.Message);
        Assert.Contains("'c' is not in the vocabulary", e.Message);
    }

    [Fact]
    public void Load_VocabIdNotInteger_Throws()
    {
        var e = LoadBad("""{"model": {"type": "BPE", "vocab": {"a": "zero"}, "merges": []}}""");
        Assert.Contains("$.model.vocab['a']", e.Message);
        Assert.Contains("expected an integer id, found the string \"zero\"", e.Message);
    }

    [Fact]
    public void Load_UnsupportedPreTokenizer_Throws()
    {
        var e = LoadBad($$$"""{"model": {"type": "BPE", "vocab": {{{Vocab}}}, "merges": []}, "pre_tokenizer": {"type": "BertPreTokenizer"}}""");
        Assert.Contains("$.pre_tokenizer.type", e.Message);
        Assert.Contains("'BertPreTokenizer' is not supported", e.Message);
    }

    [Fact]
    public void Load_AddedTokenWithoutId_Throws()
    {
        var e = LoadBad($$$"""{"model": {"type": "BPE", "vocab": {{{Vocab}}}, "merges": []}, "added_tokens": [{"content": "<x>"}]}""");
        Assert.Contains("$.added_tokens[0]", e.Message);
        Assert.Contains("missing \"id\"", e.Message);
    }

    [Fact]
    public void Load_ModelMissing_Throws()
    {
        var e = LoadBad("""{"version": "1.0"}""");
        Assert.Contains("missing \"model\"", e.Message);
    }

    [Fact]
    public void Load_SmallCharacterBpe_MergesAndFallsBackToUnknown()
    {
        // Given a hand-made character BPE with an unknown token and no pre-tokenizer
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("tokenizer.json"), """
            {"model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": true,
                       "vocab": {"<unk>": 0, "a": 1, "b": 2, "ab": 3, "abb": 4},
                       "merges": ["a b", "ab b"]},
             "added_tokens": [{"id": 0, "content": "<unk>", "special": true}]}
            """);
        PretrainedTokenizer tok = HfTokenizer.Load(dir.Path);

        // Then merges apply by rank and unknown characters fuse into one <unk>
        Assert.Equal([4, 0, 3], tok.Encode("abbxyab"));
        Assert.Equal(5, tok.VocabSize);
        Assert.Equal("abbab", tok.Decode(tok.Encode("abbxyab")));
    }
}
