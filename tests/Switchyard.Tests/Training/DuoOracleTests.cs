using Switchyard.Models;
using Switchyard.Tensors;
using Switchyard.Tests.Models;
using Switchyard.Training;

namespace Switchyard.Tests.Training;

public class DuoOracleTests
{
    const int Sequences = 2, Length = 5;

    static (DecoderModel Model, int[] Inputs, int[] Targets) Setup(int layers = 2, bool maskOne = true)
    {
        var model = new DecoderModel(DuoFeedForwardTests.Config(layers: layers), new Rng(4), MoeFeedForward.Factory);
        var rng = new Rng(8);
        int[] inputs = [.. Enumerable.Range(0, Sequences * Length).Select(_ => rng.NextInt(11))];
        int[] targets = [.. Enumerable.Range(0, Sequences * Length).Select(_ => rng.NextInt(11))];
        if (maskOne) targets[3] = DecoderModel.IgnoreIndex; // a masked token is never probed (and stays all small as context)
        return (model, inputs, targets);
    }

    static double MeanOverValid(float[] losses, int[] targets) =>
        Enumerable.Range(0, losses.Length).Where(i => targets[i] != DecoderModel.IgnoreIndex).Average(i => (double)losses[i]);

    [Fact]
    public void Analyze_BudgetZeroIsAllSmall_FullBudgetJointIsAllBig_AndOracleIsThePerTokenMinimum()
    {
        // Given a tiny 2-layer duo model and budgets 0, 1, 2
        var (model, inputs, targets) = Setup();
        DuoOracleReport r = DuoOracle.Analyze(model, inputs, targets, Sequences, Length, new DuoOracleOptions { Budgets = [0, 1, 2], RandomPatterns = 5 });
        Assert.Equal(Sequences * Length - 1, r.Tokens);

        // Then B = 0 is all small (evaluated on prefixes: same math, other shapes)
        Assert.Equal(r.AllSmall, r.Budgets[0].Oracle, 1e-5);

        // And the B = 1 oracle is, per token, the better of the two one-big-layer patterns with the others all small
        float[] first = DuoOracle.FixedOthers(model, inputs, targets, Sequences, Length, _ => 0b01);
        float[] second = DuoOracle.FixedOthers(model, inputs, targets, Sequences, Length, _ => 0b10);
        float[] best = [.. first.Zip(second, Math.Min)];
        Assert.Equal(MeanOverValid(best, targets), r.Budgets[1].Oracle, 1e-9);

        // And no pattern with the same budget beats it on the tokens it optimised
        var rng = new Rng(5);
        int[] random = [.. Enumerable.Range(0, Sequences * Length).Select(_ => 1 << rng.NextInt(2))];
        float[] other = DuoOracle.FixedOthers(model, inputs, targets, Sequences, Length, row => random[row]);
        Assert.True(r.Budgets[1].Oracle <= MeanOverValid(other, targets));
        Assert.All(r.Budgets, b => Assert.True(b.BestRandom <= b.MeanRandom));
        Assert.Equal(1.0, r.Budgets[1].BigLayerShare.Sum(), 1e-12);
        Assert.Null(model.RoutingContext.Override); // the model is left as it was
    }

    [Fact]
    public void Analyze_FullBudget_JointPassIsAllBigBitForBit()
    {
        var (model, inputs, targets) = Setup(maskOne: false);
        DuoOracleReport r = DuoOracle.Analyze(model, inputs, targets, Sequences, Length, new DuoOracleOptions { Budgets = [2], RandomPatterns = 1 });
        Assert.Equal(r.AllBig, r.Budgets[0].OracleJoint);
        Assert.Equal(r.AllBig, r.Budgets[0].BestRandom); // the only pattern with 2 of 2 layers big
    }

    [Fact]
    public void Analyze_GreedyWithOneBigLayer_EqualsExhaustive()
    {
        var (model, inputs, targets) = Setup(layers: 3);
        DuoOracleReport exhaustive = DuoOracle.Analyze(model, inputs, targets, Sequences, Length, new DuoOracleOptions { Budgets = [1], RandomPatterns = 0 });
        DuoOracleReport greedy = DuoOracle.Analyze(model, inputs, targets, Sequences, Length, new DuoOracleOptions { Budgets = [1], RandomPatterns = 0, ExhaustiveMaxBudget = 0 });
        Assert.True(exhaustive.Budgets[0].Exhaustive);
        Assert.False(greedy.Budgets[0].Exhaustive);
        Assert.Equal(exhaustive.Budgets[0].Oracle, greedy.Budgets[0].Oracle);
        Assert.Equal(exhaustive.Budgets[0].BigLayerShare, greedy.Budgets[0].BigLayerShare);
    }

    [Fact]
    public void Routed_RandomRouting_SharesSumToOne()
    {
        var (model, inputs, targets) = Setup();
        DuoRoutedResult r = DuoOracle.Routed(model, inputs, targets, Sequences, Length);
        Assert.Equal(1.0, r.BigFraction + r.SmallFraction + r.SkipFraction, 1e-9);
        Assert.True(double.IsFinite(r.Loss));
    }

    [Fact]
    public void Analyze_ModelWithoutDuoLayers_Throws()
    {
        var model = new DecoderModel(TinyConfigs.Create("mixtral"), new Rng(1), MoeFeedForward.Factory);
        Assert.Throws<ArgumentException>(() => DuoOracle.Analyze(model, new int[4], new int[4], 1, 4));
    }
}
