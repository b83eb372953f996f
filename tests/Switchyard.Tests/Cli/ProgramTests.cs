using System.Text.Json;
using Spectre.Console;
using Switchyard.Cli;
using Switchyard.Routing.Catalog;
using Switchyard.Tests.Training;

namespace Switchyard.Tests.Cli;

[Collection(TrainingCollection.Name)]
public sealed class ProgramTests
{
    static (int Code, string Console, string Out, string Err) Run(params string[] args)
    {
        var console = new StringWriter();
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(console), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Run(args, ansi, output, error);
        return (code, console.ToString(), output.ToString(), error.ToString());
    }

    [Fact]
    public void Routers_Json_ListsEveryCatalogEntryWithOptions()
    {
        var (code, _, output, err) = Run("routers", "--json");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        using var doc = JsonDocument.Parse(output);
        var names = doc.RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Equal(RouterCatalog.Names, names);
        var topK = doc.RootElement.EnumerateArray().First(e => e.GetProperty("name").GetString() == "top-k");
        Assert.Equal("1701.06538", topK.GetProperty("arxiv").GetString());
        Assert.Contains(topK.GetProperty("options").EnumerateArray(), o => o.GetProperty("name").GetString() == "k");
    }

    [Fact]
    public void Routers_Table_ShowsNamesAndPapers()
    {
        var (code, console, _, _) = Run("routers");
        Assert.Equal(0, code);
        foreach (string name in RouterCatalog.Names) Assert.Contains(name, console);
        Assert.Contains("2401.04088", console);
    }

    [Fact]
    public void Train_NegativeSteps_OneLineErrorAndExitCode2()
    {
        var (code, _, _, err) = Run("train", "--steps", "-5");
        Assert.Equal(2, code);
        Assert.Equal("error: --steps: must be a positive integer, found -5", err.TrimEnd());
    }

    [Fact]
    public void Train_BadRecipeFile_OneLineWithFileAndLine()
    {
        string file = Path.Combine(Path.GetTempPath(), $"switchyard-bad-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, "{\n  \"name\": \"x\",\n  \"steps\": -5\n}");
        try
        {
            var (code, _, _, err) = Run("train", "--recipe", file);
            Assert.Equal(2, code);
            Assert.Equal($"error: {Path.GetFileName(file)}: line 3: 'steps' must be a positive integer, found -5", err.TrimEnd());
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void Train_NonIntegerSteps_OneLineNamingTheFlag()
    {
        var (code, _, _, err) = Run("train", "--steps", "abc");
        Assert.Equal(2, code);
        Assert.Equal("error: --steps: must be an integer, found 'abc'", err.TrimEnd());
    }

    [Fact]
    public void Train_UnknownFlagOrRouter_OneLineAndExitCode2()
    {
        var (code, _, _, err) = Run("train", "--bogus");
        Assert.Equal(2, code);
        Assert.Single(err.TrimEnd().Split('\n'));
        Assert.StartsWith("error: ", err);

        (code, _, _, err) = Run("train", "--router", "nope");
        Assert.Equal(2, code);
        Assert.Single(err.TrimEnd().Split('\n'));
        Assert.Contains("nope", err);
    }

    [Fact]
    public void Train_TinyRecipe_PrintsDomainAndExpertLoadTables()
    {
        string root = Path.Combine(Path.GetTempPath(), $"switchyard-cli-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        try
        {
            string file = Path.Combine(root, "tiny.json");
            File.WriteAllText(file, global::Switchyard.Training.RecipeJson.ToJson(TrainerTests.Tiny(Path.Combine(root, "run"))));
            var (code, console, _, err) = Run("train", "--recipe", file, "--steps", "4");
            Assert.True(code == 0, err);
            Assert.Contains("validation loss per domain", console);
            Assert.Contains("expert load per layer", console);
            Assert.Contains("tokens/s", console);
            Assert.True(File.Exists(Path.Combine(root, "run", "model.safetensors")));
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void Compare_TwoRouters_WritesResultsJsonAndTable()
    {
        string root = Path.Combine(Path.GetTempPath(), $"switchyard-cmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        try
        {
            string file = Path.Combine(root, "tiny.json");
            File.WriteAllText(file, global::Switchyard.Training.RecipeJson.ToJson(TrainerTests.Tiny(null!) with { Out = null }));
            string dir = Path.Combine(root, "cmp");
            var (code, console, _, err) = Run("compare", "--routers", "top-k,hash", "--recipe", file, "--steps", "3", "--out", dir);
            Assert.True(code == 0, err);
            Assert.Contains("hash", console);
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "compare.json")));
            Assert.Equal(2, doc.RootElement.GetProperty("routers").GetArrayLength());
            Assert.True(File.Exists(Path.Combine(dir, "hash-seed1", "model.safetensors")));
        }
        finally { Directory.Delete(root, recursive: true); }
    }
}
