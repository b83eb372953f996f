using System.Text.Json;
using Spectre.Console;
using Switchyard.Cli;
using Switchyard.Cli.Commands;
using Switchyard.Inference;
using Switchyard.Models;
using Switchyard.Tensors;
using Switchyard.Tests.Inference;
using Switchyard.Tests.Models;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Cli;

public class BenchCommandTests
{
    static (int Code, string Out, string Err) Run(params string[] args)
    {
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(new StringWriter()), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Run(args, ansi, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void BenchDecode_ExpertMemory_PrintsHitRateAndReplayLine()
    {
        // Given a GGUF MoE model and a pool of one slot (smaller than all experts)
        using var dir = new TempDirectory();
        GgufCheckpoint.Export(InferenceTestModels.Create("mixtral"), dir.File("m.gguf"), GgmlType.Q8_0);
        long slot;
        using (var m = InferenceModel.Load(dir.File("m.gguf"))) slot = m.ResidentExperts.Get(0, 0).ByteLength;

        // When
        var (code, output, err) = Run("bench", "decode", "--model", dir.File("m.gguf"), "--prompt-tokens", "8", "--decode-tokens", "6",
            "--no-bandwidth", "--expert-memory", slot.ToString(System.Globalization.CultureInfo.InvariantCulture), "--policy", "lfu");

        // Then: the stats line, then the replay line with the three policies
        Assert.Equal(0, code);
        Assert.Equal("", err);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using var stats = JsonDocument.Parse(lines[0]);
        Assert.Equal("lfu", stats.RootElement.GetProperty("policy").GetString());
        Assert.Equal(1, stats.RootElement.GetProperty("expert_slots").GetInt32());
        Assert.True(stats.RootElement.GetProperty("requests").GetInt64() > 0);
        using var replay = JsonDocument.Parse(lines[1]);
        double belady = replay.RootElement.GetProperty("belady_hit_rate").GetDouble();
        Assert.True(belady >= replay.RootElement.GetProperty("lru_hit_rate").GetDouble());
        Assert.True(belady >= replay.RootElement.GetProperty("lfu_hit_rate").GetDouble());
    }

    [Theory]
    [InlineData("--synthetic", "gpt5", "known synthetic models")]
    [InlineData("--type", "q4_0", "--type")]
    public void BenchDecode_BadSyntheticOptions_ExitTwoWithOneLine(string flag, string value, string expected)
    {
        string[] args = flag == "--synthetic"
            ? ["bench", "decode", "--synthetic", value]
            : ["bench", "decode", "--synthetic", "olmoe", flag, value];
        var (code, _, err) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void BenchDecode_NeitherModelNorSynthetic_ExitTwo()
    {
        var (code, _, err) = Run("bench", "decode", "--no-bandwidth");
        Assert.Equal(2, code);
        Assert.Contains("--synthetic", err);
    }

    [Fact]
    public void SyntheticModel_Ensure_WritesOnceAndLoads()
    {
        // Given a tiny OLMoE configuration (the real one is gigabytes)
        using var dir = new TempDirectory();
        ModelConfig config = TinyConfigs.Create("olmoe");
        foreach (var type in new[] { GgmlType.F32, GgmlType.Q8_0 })
        {
            // When built twice
            string path = SyntheticModel.Ensure(config, type, seed: 3, dir.Path);
            DateTime written = File.GetLastWriteTimeUtc(type == GgmlType.F32 ? Path.Combine(path, "model.safetensors") : path);
            Assert.Equal(path, SyntheticModel.Ensure(config, type, seed: 3, dir.Path));

            // Then the second call reuses the files, and they load (F32 as safetensors, Q8_0 as GGUF; rows of
            // the tiny shape that are not whole Q8_0 blocks are written F16 by the exporter)
            Assert.Equal(written, File.GetLastWriteTimeUtc(type == GgmlType.F32 ? Path.Combine(path, "model.safetensors") : path));
            using var m = InferenceModel.Load(path);
            Assert.Equal(type == GgmlType.F32, m.LmHead.Type == GgmlType.F32);
            Assert.Equal(type != GgmlType.F32, InferenceModel.IsGguf(path));
            Assert.Equal(config.NumHiddenLayers, m.LayerCount);
        }
    }

    [Fact]
    public void SyntheticModel_Olmoe_HasOlmoeShapeWithFewerLayers()
    {
        ModelConfig c = SyntheticModel.Config("olmoe", 3);
        Assert.Equal((3, 2048, 16, 64, 8, 1024, 50304), (c.NumHiddenLayers, c.HiddenSize, c.NumAttentionHeads, c.NumExperts, c.NumExpertsPerTok, c.ExpertIntermediateSize, c.VocabSize));
        Assert.Equal(QkNormKind.FullProjection, c.QkNorm);
    }
}
