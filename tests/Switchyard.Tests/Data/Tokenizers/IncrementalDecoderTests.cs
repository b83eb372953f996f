using Switchyard.Data;
using Switchyard.Data.Tokenizers;

namespace Switchyard.Tests.Data.Tokenizers;

public sealed class IncrementalDecoderTests
{
    [Fact]
    public void Add_BytesOfOneCharacter_HeldBackUntilComplete()
    {
        var decoder = new IncrementalDecoder(ByteTokenizer.Instance);
        int[] ids = ByteTokenizer.Instance.Encode("é🚂!");

        string[] pieces = [.. ids.Select(decoder.Add)];

        Assert.Equal(["", "é", "", "", "", "🚂", "!"], pieces);
    }

    [Fact]
    public void Add_SentencePiece_DropsDummyPrefixOnlyAtStart()
    {
        PretrainedTokenizer tok = TokenizerFixtures.Load("mistral");
        var decoder = new IncrementalDecoder(tok);
        int[] ids = tok.Encode("Hello world", addSpecialTokens: true); // <s> ▁Hello ▁world

        Assert.Equal(["", "Hello", " world"], ids.Select(decoder.Add));
    }

    [Fact]
    public void Add_ByteFallbackTokens_CompleteCharacterAtLastByte()
    {
        PretrainedTokenizer tok = TokenizerFixtures.Load("mistral");
        int[] ids = tok.Encode("🚂"); // not in the vocabulary: ▁ + four <0xNN>
        Assert.Equal(5, ids.Length);
        var decoder = new IncrementalDecoder(tok);

        Assert.Equal(["", "", "", "", "🚂"], ids.Select(decoder.Add));
    }

    [Fact]
    public void Flush_IncompleteCharacter_ReplacementAsInFullDecode()
    {
        var decoder = new IncrementalDecoder(ByteTokenizer.Instance);
        int[] ids = [.. ByteTokenizer.Instance.Encode("a🚂").Take(3)];

        string streamed = string.Concat(ids.Select(decoder.Add)) + decoder.Flush();

        Assert.Equal(ByteTokenizer.Instance.Decode(ids), streamed);
        Assert.Equal("a\uFFFD", streamed);
    }

    [Fact]
    public void Add_BpeTokenizer_EqualsFullDecode()
    {
        BpeTokenizer tok = BpeTokenizer.Create(BpeTrainer.Train(TokenizerFilesTests.TrainingTexts(), vocabSize: 400));
        foreach (string text in TokenizerFilesTests.Strings())
        {
            int[] ids = [tok.BosId, .. tok.Encode(text), tok.EosId];
            var decoder = new IncrementalDecoder(tok);
            Assert.Equal(tok.Decode(ids), string.Concat(ids.Select(decoder.Add)) + decoder.Flush());
        }
    }

    [Fact]
    public void Add_TokenizerWithoutBytes_RedecodesAndHoldsBackReplacement()
    {
        var decoder = new IncrementalDecoder(new OpaqueTokenizer());
        int[] ids = ByteTokenizer.Instance.Encode("é!");

        Assert.Equal(["", "é", "!"], ids.Select(decoder.Add));
        Assert.Equal("", decoder.Flush());
    }

    [Fact]
    public void Reset_StartsNewText()
    {
        PretrainedTokenizer tok = TokenizerFixtures.Load("mistral");
        var decoder = new IncrementalDecoder(tok);
        int hello = tok.TokenToId("▁Hello")!.Value;
        Assert.Equal("Hello", decoder.Add(hello));
        Assert.Equal(" Hello", decoder.Add(hello));
        decoder.Reset();
        Assert.Equal("Hello", decoder.Add(hello));
    }

    [Fact]
    public void Add_IdOutOfRange_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new IncrementalDecoder(ByteTokenizer.Instance).Add(999));

    // An ITokenizer that does not expose per-token bytes.
    sealed class OpaqueTokenizer : ITokenizer
    {
        public int VocabSize => 259;
        public int PadId => 256;
        public int BosId => 257;
        public int EosId => 258;
        public void Encode(ReadOnlySpan<char> text, List<int> ids) => ByteTokenizer.Instance.Encode(text, ids);
        public string Decode(ReadOnlySpan<int> ids) => ByteTokenizer.Instance.Decode(ids);
    }
}
