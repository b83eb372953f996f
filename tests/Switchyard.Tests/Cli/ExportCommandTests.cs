using Spectre.Console;
using Switchyard.Cli;
using Switchyard.Formats.Gguf;
using Switchyard.Models;
using Switchyard.Tensors;
using Switchyard.Tests.Models;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Cli;

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
        new DecoderModel(TinyConfigs.Create("mixtral"), new Rng(1), MoeFeedForward.Factory).SavePretrained(run);
        File.WriteAllText(Path.Combine(run, "tokenizer.json"), "{}");
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
