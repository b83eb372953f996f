using Switchyard.Training;
using Switchyard.Training.Adaptation;

namespace Switchyard.Tests.Training.Adaptation;

public sealed class RomaProcedureTests
{
    [Fact]
    public void Nmi_IdenticalLabelsGiveOne_IndependentGiveZero()
    {
        Assert.Equal(1.0, RomaProcedure.Nmi([(0, 5), (1, 6), (2, 7), (0, 5)]), 12);
        Assert.Equal(0.0, RomaProcedure.Nmi([(0, 0), (0, 1), (1, 0), (1, 1)]), 12);
        Assert.Equal(0.0, RomaProcedure.Nmi([(0, 0), (0, 0)]));
    }

    [Theory]
    [InlineData("roma")]
    [InlineData("rerouting")]
    public void Reproduction_BundledFile_LoadsWithItsProcedure(string name)
    {
        string dir = Reproduction.FindRecipesDirectory()!;
        Reproduction r = Reproduction.Load(name, dir);
        Assert.NotNull(r.Procedure);
        Assert.NotNull(r.Metric);
        Assert.Equal(3, r.Arms().Count);
    }
}
