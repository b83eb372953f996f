using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Models;
using Switchyard.Routing;
using Switchyard.Tensors;
using Switchyard.Tests.Models;
using Switchyard.Training.Adaptation;

namespace Switchyard.Tests.Training.Adaptation;

public sealed class TestTimeAdapterTests
{
    static readonly int[] Prompt = [1, 4, 2, 7, 3, 9, 5, 1, 0, 6, 2, 8];
    static readonly int[] Continuation = [3, 3, 5, 1, 10, 2, 4];

    static DecoderModel Model() => new(TinyConfigs.Create("mixtral"), new Rng(5), MoeFeedForward.Factory);

    static List<Router> Routers(DecoderModel m) =>
        [.. Enumerable.Range(0, m.Layers.Count).SelectMany(i => m.Layers[i].FeedForward.RoutedLayers).Select(l => l.Router)];

    [Fact]
    public void Adapt_Offsets_ChangesDeltaAndNoModelParameter()
    {
        // Given a model and a snapshot of every parameter
        DecoderModel model = Model();
        float[][] before = [.. model.Parameters().Select(p => p.Value.Span.ToArray())];
        var adapter = new TestTimeAdapter(model, new TestTimeAdapterOptions { LearningRate = 0.1 });

        // When it adapts on the prompt
        adapter.Begin(Prompt);
        double loss = adapter.Adapt(Prompt);

        // Then δ moved, every model parameter is bit-identical and stays trainable
        Assert.True(double.IsFinite(loss));
        Assert.Contains(adapter.Offsets, o => o.Delta.Value.Span.ToArray().Any(v => v != 0f));
        var after = model.Parameters();
        for (int i = 0; i < after.Count; i++)
        {
            Assert.Equal(before[i], after[i].Value.Span.ToArray());
            Assert.True(after[i].Trainable);
        }
    }

    [Fact]
    public void Score_NoSteps_EqualsThePlainModelsLoss()
    {
        DecoderModel model = Model();
        int[] text = [.. Prompt, .. Continuation];
        int n = text.Length - 1;
        var targets = Enumerable.Range(0, n).Select(t => t >= Prompt.Length - 1 ? text[t + 1] : DecoderModel.IgnoreIndex).ToArray();
        var all = new float[n];
        model.PerTokenLoss(new Tape(), text.AsSpan(0, n), targets, 1, n, all);

        foreach (KvCachePolicy cache in Enum.GetValues<KvCachePolicy>())
        {
            var losses = new float[Continuation.Length];
            new TestTimeAdapter(model, new TestTimeAdapterOptions { Steps = 0, Interval = 3, Cache = cache }).Score(Prompt, Continuation, losses);
            Assert.Equal(all.AsSpan(Prompt.Length - 1).ToArray(), losses);
        }
    }

    [Fact]
    public void Score_Policies_DifferOnceDeltaChangesAndResetRestoresTheModel()
    {
        // Given a large learning rate so δ moves visibly, and the plain model's logits
        DecoderModel model = Model();
        var tape = new Tape();
        float[] plain = model.Forward(tape, Prompt, 1, Prompt.Length).Value.Span.ToArray();
        var options = new TestTimeAdapterOptions { LearningRate = 0.5, Steps = 3, Interval = 3 };
        var recompute = new float[Continuation.Length];
        var stale = new float[Continuation.Length];

        // When the same continuation is scored with both cache policies
        var a = new TestTimeAdapter(model, options);
        a.Score(Prompt, Continuation, recompute);
        Assert.Equal(3, a.Rounds); // 7 tokens in blocks of 3
        a.Reset();
        var b = new TestTimeAdapter(model, options with { Cache = KvCachePolicy.Stale });
        b.Score(Prompt, Continuation, stale);
        b.Reset();

        // Then they differ (cached states keep old routing), and after Reset the model is untouched
        Assert.NotEqual(recompute, stale);
        Assert.All(Routers(model), r => Assert.Null(r.LogitOffset));
        tape.Reset();
        Assert.Equal(plain, model.Forward(tape, Prompt, 1, Prompt.Length).Value.Span.ToArray());
    }

    [Fact]
    public void Score_RoutersScope_TunesGatesAndResetRestoresThem()
    {
        DecoderModel model = Model();
        var gates = model.NamedParameters().Where(p => p.Name.Contains(".gate.")).Select(p => p.Parameter).ToArray();
        float[][] before = [.. gates.Select(p => p.Value.Span.ToArray())];
        var adapter = new TestTimeAdapter(model, new TestTimeAdapterOptions { Scope = AdaptationScope.Routers, Interval = 4 });

        adapter.Begin(Prompt);
        adapter.Adapt(Prompt);
        Assert.Contains(gates, g => !g.Value.Span.ToArray().SequenceEqual(before[Array.IndexOf(gates, g)]));
        Assert.Empty(adapter.Offsets);

        adapter.Reset();
        for (int i = 0; i < gates.Length; i++) Assert.Equal(before[i], gates[i].Value.Span.ToArray());
    }

    [Fact]
    public void Begin_EntropyRule_PicksTheLayerOfHighestMeanEntropy()
    {
        // Given the routers' entropy on the prompt
        DecoderModel model = Model();
        var tape = new Tape();
        model.Forward(tape, Prompt, 1, Prompt.Length);
        List<Router> routers = Routers(model);
        int highest = routers[0].Statistics.Entropy >= routers[1].Statistics.Entropy ? 0 : 1;

        // When one layer is asked for
        var adapter = new TestTimeAdapter(model, new TestTimeAdapterOptions { Layers = 1 });
        var layers = adapter.Begin(Prompt);

        // Then it is that layer, and only its router carries an offset
        Assert.Equal([highest], layers);
        Assert.NotNull(routers[highest].LogitOffset);
        Assert.Null(routers[1 - highest].LogitOffset);
    }

    [Fact]
    public void Generate_IsDeterministicAndHasTheAskedLength()
    {
        DecoderModel model = Model();
        var options = new TestTimeAdapterOptions { Interval = 2 };
        int[] first = new TestTimeAdapter(model, options).Generate(Prompt, 5);
        int[] second = new TestTimeAdapter(model, options).Generate(Prompt, 5);
        Assert.Equal(5, first.Length);
        Assert.Equal(first, second);
    }

    [Theory]
    [InlineData("steps")]
    [InlineData("learning_rate")]
    [InlineData("interval")]
    [InlineData("layers")]
    [InlineData("l2")]
    [InlineData("layer_indices")]
    public void Options_OutOfRange_ThrowOneMessageListingTheValidOptions(string field)
    {
        var o = new TestTimeAdapterOptions();
        o = field switch
        {
            "steps" => o with { Steps = -1 },
            "learning_rate" => o with { LearningRate = 0 },
            "interval" => o with { Interval = 0 },
            "layers" => o with { Layers = 0 },
            "l2" => o with { L2 = -1 },
            _ => o with { LayerIndices = [7] },
        };
        var e = Assert.Throws<InvalidConfigException>(() => new TestTimeAdapter(Model(), o));
        Assert.Contains("test_time." + field, e.Message);
        Assert.Contains("valid options: steps", e.Message);
    }

    [Fact]
    public void Create_DenseModel_Throws()
    {
        var dense = new DecoderModel(TinyConfigs.Create("llama"), new Rng(1));
        Assert.Throws<InvalidConfigException>(() => new TestTimeAdapter(dense));
    }
}
