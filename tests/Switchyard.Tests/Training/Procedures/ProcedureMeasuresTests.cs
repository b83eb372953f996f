using Switchyard.Training;
using Switchyard.Training.Procedures;

namespace Switchyard.Tests.Training.Procedures;

public sealed class ProcedureMeasuresTests
{
    [Fact]
    public void MutualInformation_IndependentIsZero_IdentityIsLog2OfClasses()
    {
        Assert.Equal(0, ProMoeProcedure.MutualInformation([5, 5, 10, 10], 2), 1e-12);
        Assert.Equal(Math.Log2(3), ProMoeProcedure.MutualInformation([4, 0, 0, 0, 4, 0, 0, 0, 4], 3), 1e-12);
    }

    [Fact]
    public void ByteClass_LettersDigitsSymbolsWhitespaceOther()
    {
        Assert.Equal([0, 0, 1, 2, 2, 3, 3, 4, 4], new[] { 'a', 'Z', '7', '=', '%', ' ', '\n', (char)0, (char)200 }.Select(c => ProMoeProcedure.ByteClass(c)).ToArray());
    }

    [Fact]
    public void IsCrossModal_FirstTargetsAfterASwitchInsideTheWindow()
    {
        // Windows of 12: a switch at position 2 of the first, none in the second (its start is not a switch)
        int[] m = [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
        bool[] cross = [.. Enumerable.Range(0, 24).Select(i => MoiieProcedure.IsCrossModal(m, i, 12))];
        Assert.Equal(Enumerable.Range(0, 24).Select(i => i >= 2 && i < 2 + MoiieProcedure.CrossWindow), cross);
    }

    [Fact]
    public void Procedures_AreRegisteredByName()
    {
        Assert.IsType<ProMoeProcedure>(ReproductionProcedures.Find("promoe"));
        Assert.IsType<MoiieProcedure>(ReproductionProcedures.Find("moiie"));
    }
}
