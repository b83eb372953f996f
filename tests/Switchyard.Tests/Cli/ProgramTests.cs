using System.Text.Json;
using Spectre.Console;
using Switchyard.Cli;
using Switchyard.Routing.Catalog;
using Switchyard.Tests.TestSupport;
using Switchyard.Tests.Training;

namespace Switchyard.Tests.Cli;

[Collection(TrainingCollection.Name)]
public sealed class ProgramTests
{
    static string WriteRecipe(string root, global::Switchyard.Training.Recipe recipe)
    {
        string file = Path.Combine(root, "tiny.json");
        File.WriteAllText(file, global::Switchyard.Training.RecipeJson.ToJson(recipe));
        return file;
    }

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
        Assert.Contains("also take dense", console);
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
        using var temp = new TempDirectory();
        string root = temp.Path;
        string file = WriteRecipe(root, TrainerTests.Tiny(Path.Combine(root, "run")));
        var (code, console, _, err) = Run("train", "--recipe", file, "--steps", "4");
        Assert.True(code == 0, err);
        Assert.Contains("validation loss per domain", console);
        Assert.Contains("expert load per layer", console);
        Assert.Contains("tokens/s", console);
        Assert.True(File.Exists(Path.Combine(root, "run", "model.safetensors")));
    }

    [Fact]
    public void Train_ExpertChoiceRouter_NotesItIsNotCausal()
    {
        using var temp = new TempDirectory();
        string root = temp.Path;
        string file = WriteRecipe(root, TrainerTests.Tiny(Path.Combine(root, "run")));
        var (code, console, _, err) = Run("train", "--recipe", file, "--steps", "2", "--router", "expert-choice");
        Assert.True(code == 0, err);
        Assert.Contains("'expert-choice' is not causal", console);
        (code, console, _, err) = Run("train", "--recipe", file, "--steps", "2", "--out", Path.Combine(root, "run2"));
        Assert.True(code == 0, err);
        Assert.DoesNotContain("not causal", console);
    }

    [Fact]
    public void Compare_TwoRouters_WritesResultsJsonAndTable()
    {
        using var temp = new TempDirectory();
        string root = temp.Path;
        string file = WriteRecipe(root, TrainerTests.Tiny(null!) with { Out = null });
        string dir = Path.Combine(root, "cmp");
        var (code, console, _, err) = Run("compare", "--routers", "top-k,hash", "--recipe", file, "--steps", "3", "--out", dir);
        Assert.True(code == 0, err);
        Assert.Contains("hash", console);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "compare.json")));
        Assert.Equal(2, doc.RootElement.GetProperty("routers").GetArrayLength());
        Assert.True(File.Exists(Path.Combine(dir, "hash-seed1", "model.safetensors")));
    }

    [Fact]
    public void Compare_TopKAndDense_BothRowsVerdictAndLossPlot()
    {
        using var temp = new TempDirectory();
        string root = temp.Path;
        // Given a tiny recipe, compared with its dense control for 3 steps and 1 seed
        string file = WriteRecipe(root, TrainerTests.Tiny(null!) with { Out = null });
        string dir = Path.Combine(root, "cmp");
        var (code, console, _, err) = Run("compare", "--routers", "top-k,dense", "--recipe", file, "--steps", "3", "--out", dir);

        // Then the table has both rows and the verdict line, compare.json the rows and the verdict, and loss.png exists
        Assert.True(code == 0, err);
        Assert.Contains("top-k vs dense:", console);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "compare.json")));
        var rows = doc.RootElement.GetProperty("routers").EnumerateArray().ToList();
        Assert.Equal(["top-k", "dense"], rows.Select(r => r.GetProperty("router").GetString()));
        foreach (string field in new[] { "experts_per_token", "load_cv", "dropped" })
            Assert.Equal(JsonValueKind.Null, rows[1].GetProperty(field).ValueKind);
        Assert.True(rows[1].GetProperty("expert_flops_per_token").GetDouble() > 0);
        var verdict = doc.RootElement.GetProperty("versus_dense").EnumerateArray().Single();
        Assert.Equal("top-k", verdict.GetProperty("router").GetString());
        Assert.StartsWith("top-k vs dense:", verdict.GetProperty("verdict").GetString());
        string config = File.ReadAllText(Path.Combine(dir, "dense-seed1", "config.json"));
        Assert.Contains("\"llama\"", config);
        byte[] png = File.ReadAllBytes(Path.Combine(dir, "loss.png"));
        Assert.NotEmpty(global::Switchyard.Tests.Reports.PngWriterTests.Chunks(png));
    }

    [Fact]
    public void Compare_UnknownRouter_OneLineErrorMentioningDense()
    {
        var (code, _, _, err) = Run("compare", "--routers", "top-k,nope", "--steps", "1", "--out", Path.Combine(Path.GetTempPath(), $"switchyard-cmp-{Guid.NewGuid():N}"));
        Assert.Equal(2, code);
        Assert.Contains("unknown router 'nope'", err);
        Assert.Contains("dense", err);
    }

    [Fact]
    public void Reproduce_UnknownName_OneLineErrorListingValidNames()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("reproduce-alpha.json"), "{}");
        File.WriteAllText(temp.File("reproduce-beta.json"), "{}");
        var (code, _, _, err) = Run("reproduce", "nope", "--recipes", temp.Path);
        Assert.Equal(2, code);
        Assert.Contains("unknown reproduction 'nope'; valid names: alpha, beta", err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Fact]
    public void Reproduce_TinySmoke_PrintsClaimMeasuredVerdictAndWritesResultsAndPlot()
    {
        // Given a reproduction file over the tiny recipe (top-p vs top-2)
        using var temp = new TempDirectory();
        File.WriteAllText(temp.File("reproduce-tiny.json"), ReproductionTests.TinyJson("top-p", """{ "p": 0.4 }""", "top-k"));
        string dir = temp.File("out");

        // When it runs for 2 steps, 1 seed
        var (code, console, _, err) = Run("reproduce", "tiny", "--recipes", temp.Path, "--steps", "2", "--seeds", "1", "--out", dir);

        // Then it prints the claim, the measured line and a verdict, and writes reproduce.json and loss.png
        Assert.True(code == 0, err);
        Assert.Contains("claim:", console);
        Assert.Contains("measured: val loss", console);
        Assert.Matches("verdict: +(reproduced|partly|not reproduced)", console);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "reproduce.json")));
        Assert.Equal("top-p", doc.RootElement.GetProperty("method").GetProperty("label").GetString());
        Assert.True(File.Exists(Path.Combine(dir, "loss.png")));
    }
}
