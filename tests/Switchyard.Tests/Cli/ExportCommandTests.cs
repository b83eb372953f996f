using Spectre.Console;
using Switchyard.Cli;
using Switchyard.Data;
using Switchyard.Data.Tokenizers;
using Switchyard.Formats.Gguf;
using Switchyard.Models;
using Switchyard.Training;
using Switchyard.Tensors;
using Switchyard.Tests.Models;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Cli;

[Collection(Switchyard.Tests.Training.TrainingCollection.Name)] // one test trains a run (global thread count)
public sealed class ExportCommandTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    static (int Code, string Console, string Err) Run(params string[] args)
    {
        var console = new StringWriter();
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(console), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        var error = new StringWriter();
        int code = Program.Run(args, ansi, new StringWriter(), error);
        return (code, console.ToString(), error.ToString());
    }

    string Checkpoint()
    {
        string run = Path.Combine(_dir.Path, "run");
        var config = TinyConfigs.Create("mixtral") with { VocabSize = ByteTokenizer.Instance.VocabSize };
        new DecoderModel(config, new Rng(1), MoeFeedForward.Factory).SavePretrained(run);
        File.WriteAllText(Path.Combine(run, "recipe.json"), """{"data": {"tokenizer": "byte"}}""");
        return run;
    }

    [Fact]
    public void Export_Gguf_WritesLoadableFile()
    {
        string run = Checkpoint(), output = _dir.File("out/model.gguf");
        var (code, console, err) = Run("export", "--checkpoint", run, "--format", "gguf", "--type", "f16", "--out", output);
        Assert.Equal((0, ""), (code, err));
        Assert.Contains("model.gguf", console);
        using var f = GgufFile.Open(output);
        Assert.Equal("run", f.Metadata["general.name"].AsString());
        Assert.Equal(GgmlType.F16, f.GetTensor("blk.0.ffn_gate_exps.weight").Type);
        Assert.Equal("mixtral", GgufModelConfig.FromGguf(f).ModelType);
        // The run's byte tokenizer as llama.cpp metadata: 259 tokens, EOS 258, no BOS added.
        GgufTokenizerData tokens = GgufTokenizerData.FromGguf(f);
        Assert.Equal(("gpt2", 259, 258, false), (tokens.Model, tokens.Tokens.Length, tokens.EosId, tokens.AddBos));
        Assert.Equal(ByteTokenizer.Instance.Encode("héllo wörld"), tokens.CreateTokenizer().Encode("héllo wörld"));
    }

    [Fact]
    public void Export_TrainedBpeRun_GgufMetadataAndHfFolderEncodeLikeTheRun()
    {
        // Given a tiny run trained with a BPE tokenizer
        string run = Path.Combine(_dir.Path, "bpe-run");
        Trainer.Run(Switchyard.Tests.Training.TrainerTests.Tiny(run, steps: 2, tokenizer: "bpe"), new TrainOptions { PeakFlops = 1e10 }, null, TestContext.Current.CancellationToken);
        var ours = BpeTokenizer.Load(run);

        // When it is exported to GGUF and to a Hugging Face folder
        string gguf = _dir.File("bpe.gguf"), hf = Path.Combine(_dir.Path, "bpe-hf");
        Assert.Equal(0, Run("export", "--checkpoint", run, "--format", "gguf", "--type", "q8_0", "--out", gguf).Code);
        Assert.Equal(0, Run("export", "--checkpoint", run, "--format", "hf", "--out", hf).Code);

        // Then the tokenizer read back from either encodes and decodes as the run's own
        using var f = GgufFile.Open(gguf);
        PretrainedTokenizer fromGguf = GgufTokenizerData.FromGguf(f).CreateTokenizer(), fromHf = HfTokenizer.Load(hf);
        Assert.Equal(ours.VocabSize, fromGguf.VocabSize);
        foreach (string text in new[] { "The jury said it did find", "  spaces\tand\nlines  ", "héllo wörld 123,456!", "ünïcödé 😀 ok", "" })
        {
            int[] ids = ours.Encode(text);
            Assert.Equal(ids, fromGguf.Encode(text));
            Assert.Equal(ids, fromHf.Encode(text));
            Assert.Equal(text, fromGguf.Decode(ids));
        }
        Assert.Equal((ours.EosId, ours.EosId), (fromGguf.EosId, fromHf.EosId));
        Assert.True(File.Exists(Path.Combine(hf, "vocab.json")));
    }

    [Fact]
    public void Export_HfFolderWithoutTokenizer_ExportsWithANote()
    {
        string run = Checkpoint();
        File.Delete(Path.Combine(run, "recipe.json"));
        var (code, console, err) = Run("export", "--checkpoint", run, "--format", "gguf", "--out", _dir.File("m.gguf"));
        Assert.Equal((0, ""), (code, err));
        Assert.Contains("no tokenizer", console);
        using var f = GgufFile.Open(_dir.File("m.gguf"));
        Assert.False(GgufTokenizerData.IsPresent(f.Metadata));
    }

    [Fact]
    public void Export_Hf_WritesFolderWithTokenizerFiles()
    {
        string run = Checkpoint(), output = Path.Combine(_dir.Path, "hf");
        var (code, _, err) = Run("export", "--checkpoint", run, "--format", "hf", "--out", output);
        Assert.Equal((0, ""), (code, err));
        Assert.Equal(File.ReadAllBytes(Path.Combine(run, "model.safetensors")), File.ReadAllBytes(Path.Combine(output, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(output, "tokenizer.json")));
        Assert.Equal(ModelConfig.Load(Path.Combine(run, "config.json")), ModelConfig.Load(Path.Combine(output, "config.json")));
    }

    [Theory]
    [InlineData("gguf", "q4_k", "error: --type: expected f32, f16, bf16 or q8_0, found 'q4_k'")]
    [InlineData("onnx", null, "error: --format: expected hf or gguf, found 'onnx'")]
    public void Export_BadFlag_OneLineErrorAndExitCode2(string format, string? type, string message)
    {
        string run = Checkpoint();
        string[] args = type is null
            ? ["export", "--checkpoint", run, "--format", format, "--out", _dir.File("x")]
            : ["export", "--checkpoint", run, "--format", format, "--type", type, "--out", _dir.File("x")];
        var (code, _, err) = Run(args);
        Assert.Equal((2, message), (code, err.TrimEnd()));
    }

    [Fact]
    public void Export_MissingCheckpoint_OneLineError()
    {
        var (code, _, err) = Run("export", "--checkpoint", _dir.File("nope"), "--format", "gguf", "--out", _dir.File("x.gguf"));
        Assert.Equal(2, code);
        Assert.StartsWith("error: --checkpoint: folder", err);
    }
}
