using System.Text.Json;
using Spectre.Console;
using Switchyard.Cli;
using Switchyard.Tests.Inference.Offload;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Cli;

public sealed class PlanCommandTests
{
    static (int Code, string Console, string Out, string Err) Run(params string[] args)
    {
        var console = new StringWriter();
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(console), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        ansi.Profile.Width = 200;
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Run(args, ansi, output, error);
        return (code, console.ToString(), output.ToString(), error.ToString());
    }

    [Fact]
    public void Plan_Json_ReportsPartsPoolAndSpeed()
    {
        // qwen3_moe tiny, float32: 2 layers × 4 experts of 576 B; 1 kv head of width 4.
        using var dir = new TempDirectory();
        OffloadCheckpoint.Write(dir.Path);
        var (code, _, output, err) = Run("plan", "--model", dir.Path, "--memory", "1MiB", "--context", "16", "--mem-bw", "10", "--file-bw", "1", "--json");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        JsonElement root = doc.RootElement;
        Assert.True(root.GetProperty("fits").GetBoolean());
        Assert.Equal(1L << 20, root.GetProperty("budget_bytes").GetInt64());
        Assert.Equal(2L * 2 * 1 * 4 * 16 * 4, root.GetProperty("parts").GetProperty("kv_cache").GetInt64());
        Assert.Equal(8 * 576, root.GetProperty("parts").GetProperty("routed_experts").GetInt64());
        Assert.Equal(8, root.GetProperty("experts").GetProperty("slots").GetInt32());
        Assert.Equal(1.0, root.GetProperty("experts").GetProperty("expected_hit_rate").GetDouble());
        Assert.Equal(10, root.GetProperty("bandwidth").GetProperty("memory_gbps").GetDouble());
        Assert.True(root.GetProperty("tokens_per_second").GetDouble() > 0);
        Assert.Contains("uniform routing", root.GetProperty("assumption").GetString());
    }

    [Fact]
    public void Plan_Table_ShowsPoolAndAssumption()
    {
        using var dir = new TempDirectory();
        OffloadCheckpoint.Write(dir.Path);
        // Non-expert bytes + KV (2·2·1·4·16·4 = 1 KiB) + 3 experts: the rest streams.
        var footprint = global::Switchyard.Inference.ModelFootprint.FromSafeTensors(dir.Path);
        long budget = footprint.NonExpertBytes + 1024 + 3 * 576;
        var (code, console, _, err) = Run("plan", "--model", dir.Path, "--memory", budget.ToString(), "--context", "16", "--mem-bw", "10", "--file-bw", "1");
        Assert.Equal("", err);
        Assert.Equal(0, code);
        Assert.Contains("routed experts (8 × 576 B)", console);
        Assert.Contains("expert pool: 3 slots × 576 B = 1.69 KiB (generate --expert-memory 1728)", console);
        Assert.Contains("2 of 4 in 1 layer, 1 of 4 in 1 layer", console);
        Assert.Contains("expert hit rate 37.5%", console);
        Assert.Contains("expected decode:", console);
        Assert.Contains("assumes uniform routing", console);
    }

    [Fact]
    public void Plan_BudgetTooSmall_SaysTheMinimum()
    {
        using var dir = new TempDirectory();
        OffloadCheckpoint.Write(dir.Path);
        var (code, console, _, _) = Run("plan", "--model", dir.Path, "--memory", "1KB", "--mem-bw", "10", "--file-bw", "1");
        Assert.Equal(0, code);
        Assert.Contains("does not fit: raise --memory or shorten --context; needs at least", console);
        Assert.DoesNotContain("expected decode", console);
        Assert.Contains("one expert slot 576 B", console);
    }

    [Fact]
    public void Plan_MeasuresBandwidthWhenNotGiven()
    {
        using var dir = new TempDirectory();
        OffloadCheckpoint.Write(dir.Path);
        var (code, _, output, _) = Run("plan", "--model", dir.Path, "--memory", "1MiB", "--mem-bw", "10", "--json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        Assert.True(doc.RootElement.GetProperty("bandwidth").GetProperty("file_first_gbps").GetDouble() > 0);
    }

    [Theory]
    [InlineData("8XB", "error: --memory: '8XB' is not a size: unknown unit 'XB'; write a number with an optional unit: 123456, 512MB, 1.5G, 8GiB")]
    [InlineData("-1G", "error: --memory: '-1G' is not a size: it is negative")]
    public void Plan_BadMemory_OneLineListingValidForms(string memory, string expected)
    {
        var (code, _, _, err) = Run("plan", "--model", ".", "--memory", memory);
        Assert.Equal(2, code);
        Assert.StartsWith(expected, err.TrimEnd());
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Fact]
    public void Plan_MissingFolderOrGguf_OneLineError()
    {
        using var dir = new TempDirectory();
        var (code, _, _, err) = Run("plan", "--model", dir.File("nope"), "--memory", "1G");
        Assert.Equal(2, code);
        Assert.Contains("error: --model: no folder", err);
        File.WriteAllBytes(dir.File("m.gguf"), [1]);
        (code, _, _, err) = Run("plan", "--model", dir.File("m.gguf"), "--memory", "1G");
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", err);
        Assert.Contains("m.gguf", err);
        Assert.Single(err.TrimEnd().Split('\n'));
        (code, _, _, err) = Run("plan", "--model", dir.Path, "--memory", "1G");
        Assert.Equal(2, code);
        Assert.Contains("has no config.json", err);
    }
}
