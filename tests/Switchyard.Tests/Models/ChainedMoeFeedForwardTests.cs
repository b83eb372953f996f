using System.Text.Json;
using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Models;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Models;

public sealed class ChainedMoeFeedForwardTests
{
    const int Batch = 2, Seq = 5;
    static readonly int[] Ids = [1, 4, 2, 9, 3, 0, 7, 7, 5, 10];

    static ModelConfig Config(string? blockOptions, string block = "chain") => TinyConfigs.Create("mixtral", initStd: 0.3) with
    {
        Switchyard = new SwitchyardOptions
        {
            Block = block,
            BlockOptions = blockOptions is null ? null : JsonDocument.Parse(blockOptions).RootElement.Clone(),
        },
    };

    static float[] Logits(DecoderModel model) => model.Forward(new Tape(1 << 16), Ids, Batch, Seq).Value.ToArray();

    [Fact]
    public void Forward_OneIteration_SameLogitsAsThePlainMoeBlock()
    {
        // Given the same config and seed as a plain moe block and as a chain of one iteration
        var plain = new DecoderModel(TinyConfigs.Create("mixtral", initStd: 0.3), new Rng(5), MoeFeedForward.Factory);
        var chain = new DecoderModel(Config("""{ "iterations": 1 }"""), new Rng(5), MoeFeedForward.Factory);

        // Then the parameters carry the same names and the logits are the same bits
        Assert.Equal(plain.NamedParameters().Select(p => p.Name), chain.NamedParameters().Select(p => p.Name));
        Assert.IsType<ChainedMoeFeedForward>(chain.Layers[0].FeedForward);
        Assert.Equal(Logits(plain), Logits(chain));
    }

    [Fact]
    public void Create_DefaultOptions_TwoIterationsWithOwnGatesAndPerIterationStatistics()
    {
        // Given a chain block with no options (CoE-2, inner residual, independent gates)
        var model = new DecoderModel(Config(null), new Rng(5), MoeFeedForward.Factory);
        var block = (ChainedMoeFeedForward)model.Layers[0].FeedForward;

        // When it runs
        Logits(model);

        // Then each iteration is a routed layer with its own statistics, k = 2 each, and both gates are parameters
        Assert.Equal(2, block.RoutedLayers.Count());
        Assert.All(block.RoutedLayers, l => Assert.Equal(2f, l.Statistics.ExpertsPerItemMean));
        Assert.True(block.Chain.InnerResidual);
        Assert.False(block.Chain.SharedGate);
        var names = model.NamedParameters().Select(p => p.Name).ToList();
        Assert.Contains("model.layers.0.block_sparse_moe.gate.weight", names);
        Assert.Contains("model.layers.0.block_sparse_moe.gate_1.weight", names);
        // and the layer reports one auxiliary term: the iterations' balance losses summed (as the reference)
        AuxiliaryLoss aux = Assert.Single(model.AuxiliaryLosses.Items.ToArray(), a => a.Layer == 0);
        double expected = block.RoutedLayers.Sum(l => l.Statistics.AuxLosses.ToArray().Sum(a => (double)a.Coefficient * a.Value));
        Assert.True(expected > 0);
        Assert.Equal(expected, aux.Coefficient * aux.Value, 1e-6);
    }

    [Fact]
    public void Create_SharedGateAndOuterResidual_OneGateWeightAndTheOuterForm()
    {
        var model = new DecoderModel(Config("""{ "iterations": 3, "residual": "outer", "shared_gate": true }"""), new Rng(5), MoeFeedForward.Factory);
        var block = (ChainedMoeFeedForward)model.Layers[1].FeedForward;

        Assert.Equal(3, block.Chain.Iterations);
        Assert.False(block.Chain.InnerResidual);
        Assert.True(block.Chain.SharedGate);
        Assert.DoesNotContain(model.NamedParameters(), p => p.Name.Contains("gate_1", StringComparison.Ordinal));
        Assert.All(Logits(model), v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData("""{ "iterations": 0 }""", "switchyard.block_options.iterations", "an integer ≥ 1")]
    [InlineData("""{ "iterations": 1.5 }""", "switchyard.block_options.iterations", "an integer ≥ 1")]
    [InlineData("""{ "residual": "middle" }""", "switchyard.block_options.residual", "\"inner\" or \"outer\"")]
    [InlineData("""{ "shared_gate": "yes" }""", "switchyard.block_options.shared_gate", "true or false")]
    [InlineData("""{ "iteration": 2 }""", "switchyard.block_options.iteration", "no such option")]
    [InlineData("""[2]""", "switchyard.block_options", "an object with \"iterations\"")]
    public void Create_BadOptions_OneClearErrorNamingTheField(string options, string field, string expected)
    {
        var e = Assert.Throws<InvalidConfigException>(() => new DecoderModel(Config(options), new Rng(5), MoeFeedForward.Factory));
        Assert.Equal(field, e.Field);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveLoad_TwoIterations_RoundTripsConfigAndLogits()
    {
        // Given a trained-looking CoE-2 model saved as a checkpoint folder
        var model = new DecoderModel(Config("""{ "iterations": 2, "residual": "inner" }"""), new Rng(5), MoeFeedForward.Factory);
        using var dir = new TempDirectory();
        model.SavePretrained(dir.Path);

        // When it is read back with the default factory
        var copy = DecoderModel.FromPretrained(dir.Path, MoeFeedForward.Factory);

        // Then the block kind, its options, the parameter names and the logits survive
        Assert.Equal("chain", copy.Config.Switchyard?.Block);
        Assert.IsType<ChainedMoeFeedForward>(copy.Layers[1].FeedForward);
        Assert.Equal(model.NamedParameters().Select(p => p.Name), copy.NamedParameters().Select(p => p.Name));
        Assert.Equal(Logits(model), Logits(copy));
    }
}
