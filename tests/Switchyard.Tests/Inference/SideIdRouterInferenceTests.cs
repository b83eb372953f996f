using Switchyard.Inference;
using Switchyard.Routing;

namespace Switchyard.Tests.Inference;

/// <summary>The side-id routers at inference: the engine sets no side ids and cannot run their own scorers, so it refuses them.</summary>
public sealed class SideIdRouterInferenceTests
{
    [Theory]
    [InlineData("promoe", "k=1")]
    [InlineData("moiie", "text_experts=1;task_experts=1")]
    public void SetRouter_SideIdRouter_IsRefusedWithOneClearLine(string router, string options)
    {
        using var im = InferenceModel.FromModel(InferenceTestModels.Create("mixtral"));
        var e = Assert.Throws<InvalidRouterOptionException>(() => im.SetRouter(router, options.Split(';')));
        Assert.Contains("trained parameters", e.Message);
    }
}
