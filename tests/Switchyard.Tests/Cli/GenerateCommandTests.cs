using System.Text.Json;
using Spectre.Console;
using Switchyard.Cli;
using Switchyard.Cli.Commands;
using Switchyard.Data;
using Switchyard.Models;
using Switchyard.Tensors;
using Switchyard.Tests.Inference;
using Switchyard.Tests.Models;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Cli;

public sealed class GenerateCommandTests
{
    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(new StringWriter()), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Run(args, ansi, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>A tiny run folder: model with the byte tokenizer's 259 ids, recipe.json naming that tokenizer.</summary>
    static TempDirectory RunFolder(string modelType)
    {
        var dir = new TempDirectory();
        var config = TinyConfigs.Create(modelType, initStd: 0.3) with { VocabSize = ByteTokenizer.Instance.VocabSize };
        new DecoderModel(config, new Rng(3), MoeFeedForward.Factory).SavePretrained(dir.Path);
        File.WriteAllText(dir.File("recipe.json"), """{"data": {"tokenizer": "byte"}}""");
        return dir;
    }

    [Theory]
    [InlineData("no-such-folder", "no such folder")]
    [InlineData("", "no config.json")]
    public void Generate_BadModelPath_OneLineErrorAndExitCode2(string sub, string expected)
    {
        using var dir = new TempDirectory();
        string path = sub.Length == 0 ? dir.Path : dir.File(sub);
        var (code, output, err) = Run("generate", "--model", path, "--prompt", "hi");
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal($"error: {path}: {expected}", err.TrimEnd().Split('\n')[0].Split(';')[0]);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Fact]
    public void Generate_RunFolderGreedy_StreamsTextAndStats()
    {
        using var dir = RunFolder("qwen3_moe");
        var (code, output, err) = Run("generate", "--model", dir.Path, "--prompt", "abc", "--max-tokens", "5", "--temperature", "0");
        Assert.Equal(0, code);
        Assert.Contains("3 prompt tokens", err);
        Assert.Contains("generated", err);
        var again = Run("generate", "--model", dir.Path, "--prompt", "abc", "--max-tokens", "5", "--temperature", "0");
        Assert.Equal(output, again.Out);
    }

    [Fact]
    public void Generate_GgufExportedFromRun_ReadsItsTokenizerAndStreamsTheSameText()
    {
        // Given a run folder and its F32 GGUF export (tokenizer in the tokenizer.ggml.* metadata, nothing beside it)
        using var dir = RunFolder("qwen3_moe");
        using var outDir = new TempDirectory();
        string gguf = outDir.File("m.gguf");
        Assert.Equal(0, Run("export", "--checkpoint", dir.Path, "--format", "gguf", "--out", gguf).Code);
        Assert.Single(Directory.GetFiles(outDir.Path));

        // When both generate greedily
        string[] flags = ["--prompt", "the cat", "--max-tokens", "12", "--temperature", "0"];
        var fromRun = Run(["generate", "--model", dir.Path, .. flags]);
        var fromGguf = Run(["generate", "--model", gguf, .. flags]);

        // Then the GGUF run streams the same text from the same prompt tokens
        Assert.Equal((0, ""), (fromGguf.Code, fromGguf.Err.Split('[')[0]));
        Assert.Contains("7 prompt tokens", fromGguf.Err);
        Assert.Equal(fromRun.Out, fromGguf.Out);
        Assert.Equal(fromRun.Err.Split(" at ")[0], fromGguf.Err.Split(" at ")[0]);
    }

    [Fact]
    public void Generate_GgufWithoutTokenizer_OneLineError()
    {
        using var dir = new TempDirectory();
        var model = new DecoderModel(TinyConfigs.Create("qwen3_moe"), new Rng(3), MoeFeedForward.Factory);
        GgufCheckpoint.Export(model, dir.File("m.gguf"));
        var (code, _, err) = Run("generate", "--model", dir.File("m.gguf"), "--prompt", "hi");
        Assert.Equal(2, code);
        Assert.Contains("no tokenizer: the file has no tokenizer.ggml.model metadata", err);
    }

    [Fact]
    public void Generate_Reroute_GeneratesGreedilyAndReportsTheRounds()
    {
        using var dir = RunFolder("mixtral");
        var (code, output, err) = Run("generate", "--model", dir.Path, "--prompt", "abc", "--max-tokens", "4", "--reroute", "--reroute-cache", "stale");
        Assert.Equal(0, code);
        Assert.Contains("test-time rerouting: offsets on layers 0, 1, 1 adaptation rounds, cache stale", err);
        Assert.Equal(output, Run("generate", "--model", dir.Path, "--prompt", "abc", "--max-tokens", "4", "--reroute", "--reroute-cache", "stale").Out);
        var bad = Run("generate", "--model", dir.Path, "--prompt", "abc", "--reroute", "--reroute-cache", "never");
        Assert.Equal("error: --reroute-cache: expected recompute or stale, found 'never'", bad.Err.TrimEnd());
    }

    [Fact]
    public void Generate_RouterSwap_Runs()
    {
        using var dir = RunFolder("mixtral");
        var (code, _, err) = Run("generate", "--model", dir.Path, "--prompt", "ab", "--max-tokens", "3", "--router", "top-k", "--router-option", "k=1", "--seed", "7");
        Assert.Equal(0, code);
        Assert.Contains("generated", err);
    }

    [Theory]
    [InlineData("--router-option", "k=1", "error: --router-option: needs --router")]
    [InlineData("--expert-memory", "lots", "error: ")]
    [InlineData("--expert-memory", "1B", "error: ")]
    [InlineData("--temperature", "-1", "error: --temperature: must be a number ≥ 0, found -1")]
    [InlineData("--router", "nope", "error: unknown router")]
    public void Generate_BadFlags_OneLineError(string flag, string value, string expected)
    {
        using var dir = RunFolder("mixtral");
        var (code, _, err) = Run("generate", "--model", dir.Path, "--prompt", "ab", flag, value);
        Assert.Equal(2, code);
        Assert.StartsWith(expected, err.TrimEnd(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Generate_ExpertMemory_StreamsExpertsWithSameOutput()
    {
        using var dir = RunFolder("qwen2_moe");
        string[] args = ["generate", "--model", dir.Path, "--prompt", "abc", "--max-tokens", "6", "--temperature", "0"];
        var resident = Run(args);
        var streamed = Run([.. args, "--expert-memory", "2KiB"]);
        Assert.Equal(0, streamed.Code);
        Assert.Equal(resident.Out, streamed.Out);
        Assert.Contains("hit rate", streamed.Err);
    }

    [Fact]
    public void Generate_HuggingFaceFolderWithTokenizerJson_EncodesWithBosAndDecodes()
    {
        // Given a tiny Mixtral over Mistral's 32000-token SentencePiece vocabulary, tokenizer files beside it
        using var dir = new TempDirectory();
        var config = TinyConfigs.Create("mixtral", initStd: 0.3) with { VocabSize = 32000, BosTokenId = 1, EosTokenId = [2] };
        new DecoderModel(config, new Rng(3), MoeFeedForward.Factory).SavePretrained(dir.Path);
        string fixture = Switchyard.Tests.Data.Tokenizers.TokenizerFixtures.Unpack("mistral");
        foreach (string f in Directory.GetFiles(fixture)) File.Copy(f, Path.Combine(dir.Path, Path.GetFileName(f)));
        int expected = Switchyard.Data.Tokenizers.HfTokenizer.Load(dir.Path).Encode("Hello world", addSpecialTokens: true).Length;

        // When generating
        var (code, output, err) = Run("generate", "--model", dir.Path, "--prompt", "Hello world", "--max-tokens", "4", "--temperature", "0");

        // Then the prompt went in with the tokenizer's BOS and text came out
        Assert.Equal(0, code);
        Assert.Contains($"[{expected} prompt tokens", err);
        Assert.True(output.TrimEnd('\n').Length > 0 || err.Contains("end of sequence"), err);
    }

    [Fact]
    public void Generate_FolderWithoutTokenizer_SaysWhatIsExpected()
    {
        using var dir = new TempDirectory();
        InferenceTestModels.Create("llama").SavePretrained(dir.Path);
        var (code, _, err) = Run("generate", "--model", dir.Path, "--prompt", "ab");
        Assert.Equal(2, code);
        Assert.Contains("no tokenizer", err);
    }

    [Fact]
    public void BenchDecode_TinyModel_PrintsOneJsonLine()
    {
        using var dir = RunFolder("qwen2_moe");
        var (code, output, err) = Run("bench", "decode", "--model", dir.Path, "--prompt-tokens", "16", "--decode-tokens", "4", "--no-bandwidth");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        using var doc = JsonDocument.Parse(output);
        var r = doc.RootElement;
        Assert.Equal(16, r.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(4, r.GetProperty("decode_tokens").GetInt32());
        Assert.True(r.GetProperty("decode_tok_s").GetDouble() > 0);
        Assert.True(r.GetProperty("prompt_tok_s").GetDouble() > 0);
        Assert.True(r.GetProperty("active_weight_bytes_per_token").GetInt64() > 0);
    }

    [Fact]
    public void BenchDecode_GgufFile_PrintsOneJsonLine()
    {
        using var dir = new TempDirectory();
        GgufCheckpoint.Export(InferenceTestModels.Create("mixtral"), dir.File("m.gguf"));
        var (code, output, err) = Run("bench", "decode", "--model", dir.File("m.gguf"), "--prompt-tokens", "8", "--decode-tokens", "2", "--no-bandwidth");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(2, doc.RootElement.GetProperty("decode_tokens").GetInt32());
    }

    [Fact]
    public void TextStreamer_StopString_CutsBeforeIt()
    {
        var output = new StringWriter();
        var streamer = new TextStreamer(ByteTokenizer.Instance, ["wor"], output);
        bool going = true;
        foreach (int id in ByteTokenizer.Instance.Encode("hello world"))
            if (going) going = streamer.Add(id);
        streamer.Flush();
        Assert.False(going);
        Assert.True(streamer.StoppedByString);
        Assert.Equal("hello ", output.ToString());
    }

    [Fact]
    public void TextStreamer_MultiByteCharacter_WrittenWhole()
    {
        var output = new StringWriter();
        var streamer = new TextStreamer(ByteTokenizer.Instance, [], output);
        var ids = ByteTokenizer.Instance.Encode("é!");
        streamer.Add(ids[0]);
        Assert.Equal("", output.ToString()); // half of é
        streamer.Add(ids[1]);
        Assert.Equal("é", output.ToString());
        streamer.Add(ids[2]);
        streamer.Flush();
        Assert.Equal("é!", output.ToString());
    }
}
