using System.Text.Json;
using Switchyard.Data;
using Switchyard.Data.Tokenizers;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Data.Tokenizers;

public sealed class TokenizerFilesTests
{
    // The same slice BpeTokenizerTests trains on: deterministic, so the committed golden ids stay valid.
    internal static IEnumerable<string> TrainingTexts()
    {
        CorpusSplit brown = Corpus.Brown().Split(0.1, seed: 1);
        CorpusSplit udhr = Corpus.Udhr().Split(0.1, seed: 1);
        return brown.Train.Documents.Take(20).Select(d => d.Text)
            .Concat(udhr.Train.Documents.Where(d => d.Id.EndsWith("/01") || d.Id.EndsWith("/02")).Select(d => d.Text));
    }

    internal static string[] Strings() =>
        JsonSerializer.Deserialize<string[]>(File.ReadAllText(Path.Combine(TokenizerFixtures.Directory, "tokenizer-strings.json")))!;

    static readonly Lazy<BpeTokenizer> s_bpe600 = new(() => BpeTokenizer.Create(BpeTrainer.Train(TrainingTexts(), vocabSize: 600)));

    [Fact]
    public void Write_TrainedBpe_LoadsWithSameIds()
    {
        // Given our BPE written as Hugging Face files
        using var dir = new TempDirectory();
        BpeTokenizer ours = s_bpe600.Value;
        TokenizerFiles.Write(dir.Path, ours, modelMaxLength: 256);
        // (SWITCHYARD_WRITE_TOKENIZER_TO=<folder> keeps a copy for scripts/tokenizer-golden.mjs --folder.)
        if (Environment.GetEnvironmentVariable("SWITCHYARD_WRITE_TOKENIZER_TO") is { Length: > 0 } keep)
            TokenizerFiles.Write(keep, ours, modelMaxLength: 256);

        // When HfTokenizer loads them
        PretrainedTokenizer loaded = HfTokenizer.Load(dir.Path);

        // Then every string gets the same ids and decodes back
        Assert.Equal(ours.VocabSize, loaded.VocabSize);
        Assert.Equal((ours.BosId, ours.EosId, ours.PadId), (loaded.BosId, loaded.EosId, loaded.PadId));
        Assert.False(loaded.AddBos);
        foreach (string text in Strings())
        {
            int[] ids = ours.Encode(text);
            Assert.Equal(ids, loaded.Encode(text));
            Assert.Equal(text, loaded.Decode(ids));
        }
    }

    [Fact]
    public void Write_TrainedBpe_MatchesTransformersJsGolden()
    {
        // Golden ids: transformers.js on the folder this class writes (docs/tokenizers.md, "Export").
        var golden = TokenizerFixtures.ReadGolden(Path.Combine(TokenizerFixtures.Directory, "switchyard-bpe600-golden.json"))["switchyard-bpe600"];
        BpeTokenizer ours = s_bpe600.Value;
        foreach (GoldenCase c in golden)
        {
            Assert.Equal(c.Ids, ours.Encode(c.Text));
            Assert.Equal(c.Decoded, ours.Decode(c.Ids));
        }
    }

    [Fact]
    public void Write_ByteTokenizer_OneIdPerByte()
    {
        using var dir = new TempDirectory();
        TokenizerFiles.Write(dir.Path, ByteTokenizer.Instance);
        PretrainedTokenizer loaded = HfTokenizer.Load(dir.Path);
        foreach (string text in Strings())
        {
            Assert.Equal(ByteTokenizer.Instance.Encode(text), loaded.Encode(text));
            Assert.Equal(text, loaded.Decode(loaded.Encode(text)));
        }
    }

    [Fact]
    public void Write_Config_NamesSpecialTokens()
    {
        using var dir = new TempDirectory();
        TokenizerFiles.Write(dir.Path, ByteTokenizer.Instance, modelMaxLength: 128);
        using var config = JsonDocument.Parse(File.ReadAllText(dir.File("tokenizer_config.json")));
        Assert.Equal("<|eos|>", config.RootElement.GetProperty("eos_token").GetString());
        Assert.Equal(128, config.RootElement.GetProperty("model_max_length").GetInt32());
        Assert.Equal("PreTrainedTokenizerFast", config.RootElement.GetProperty("tokenizer_class").GetString());
        Assert.True(File.Exists(dir.File("special_tokens_map.json")));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Write_OtherTokenizer_NotSupported() =>
        Assert.Throws<NotSupportedException>(() => TokenizerFiles.Write(Path.GetTempPath(), TokenizerFixtures.Load("gpt2")));
}
