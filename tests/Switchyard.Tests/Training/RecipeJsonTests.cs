using Switchyard.Training;

namespace Switchyard.Tests.Training;

public sealed class RecipeJsonTests
{
    [Fact]
    public void Parse_NegativeSteps_NamesFileLineAndValue()
    {
        var e = Assert.Throws<InvalidRecipeException>(() => RecipeJson.Parse("{\n  \"name\": \"x\",\n  \"steps\": -5\n}", "recipe.json"));
        Assert.Equal("recipe.json: line 3: 'steps' must be a positive integer, found -5", e.Message);
    }

    [Fact]
    public void Parse_UnknownField_ListsKnownFields()
    {
        var e = Assert.Throws<InvalidRecipeException>(() => RecipeJson.Parse("{\"stpes\": 5}", "r.json"));
        Assert.StartsWith("r.json: line 1: unknown field 'stpes'", e.Message);
    }

    [Fact]
    public void Parse_NestedBadValue_NamesDottedPathAndLine()
    {
        var e = Assert.Throws<InvalidRecipeException>(() => RecipeJson.Parse("{\n\"data\": {\n  \"tokenizer\": \"wordpiece\"\n}}", "r.json"));
        Assert.Equal("r.json: line 3: 'data.tokenizer' must be one of \"byte\", \"bpe\", found \"wordpiece\"", e.Message);
    }

    [Fact]
    public void Parse_UnknownRouter_ListsCatalog()
    {
        var e = Assert.Throws<InvalidRecipeException>(() => RecipeJson.Parse("{\"router\": \"nope\"}", "r.json"));
        Assert.Contains("must be a catalog router", e.Message);
        Assert.Contains("top-k", e.Message);
    }

    [Fact]
    public void Parse_BadRouterOption_NamesTheOption()
    {
        var e = Assert.Throws<InvalidRecipeException>(() => RecipeJson.Parse("{\"router\": {\"name\": \"top-k\",\n \"options\": {\"kk\": 2}}}", "r.json"));
        Assert.StartsWith("r.json: line 2: 'router.options'", e.Message);
    }

    [Fact]
    public void Parse_InvalidJson_GivesTheLine()
    {
        var e = Assert.Throws<InvalidRecipeException>(() => RecipeJson.Parse("{\n\"steps\": 5,\n\"seed\": }", "r.json"));
        Assert.StartsWith("r.json: line 3: invalid JSON", e.Message);
    }

    [Fact]
    public void Parse_PartialModel_OverridesDefaultFieldByField()
    {
        Recipe r = RecipeJson.Parse("{\"model\": {\"num_hidden_layers\": 3}}");
        Assert.Equal(3, r.Model.NumHiddenLayers);
        Assert.Equal(Recipe.Default.Model.HiddenSize, r.Model.HiddenSize);
        Assert.Equal(259, r.Model.VocabSize);
    }

    [Fact]
    public void ToJson_RoundTrips()
    {
        Recipe r = Recipe.Default with { Steps = 77, Seed = 9, Out = "x" };
        Recipe back = RecipeJson.Parse(RecipeJson.ToJson(r));
        Assert.Equal(RecipeJson.ToJson(r), RecipeJson.ToJson(back));
        Assert.Equal(77, back.Steps);
    }

    [Fact]
    public void Default_MatchesTheBundledRecipeFile()
    {
        string file = Path.Combine(RepoRoot(), "data", "recipes", "tiny-moe.json");
        Assert.Equal(RecipeJson.ToJson(Recipe.Default), RecipeJson.ToJson(RecipeJson.Load(file)));
    }

    internal static string RepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "Switchyard.sln"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
