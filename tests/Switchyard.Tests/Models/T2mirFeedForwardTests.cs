using System.Text.Json;
using Switchyard.Autograd;
using Switchyard.Models;
using Switchyard.Routing;
using Switchyard.Routing.Balancers;
using Switchyard.Tensors;

namespace Switchyard.Tests.Models;

public class T2mirFeedForwardTests
{
    const int D = 8, Rows = 8, Seq = 4;

    static ModelConfig Config(string? options = null) => TinyConfigs.Create("mixtral") with
    {
        Switchyard = new SwitchyardOptions { Block = "t2mir", BlockOptions = options is null ? null : JsonDocument.Parse(options).RootElement.Clone() },
    };

    static (Var Y, AuxiliaryLosses Losses) Forward(FeedForwardBlock block, Tensor x, bool training, int[] tasks, Tape tape)
    {
        var losses = new AuxiliaryLosses();
        var routing = new RoutingContext(new Rng(3)) { TaskIds = tasks };
        var context = new LayerContext(new int[Rows], new int[Rows], Rows / Seq, Seq, 0, training, new Rng(4), losses, routing);
        return (block.Forward(tape, tape.Variable(x), context), losses);
    }

    static Tensor Input()
    {
        var x = new Tensor(new Shape(Rows, D));
        new Rng(2).FillNormal(x.Span);
        return x;
    }

    [Fact]
    public void Create_FromTheBlockCatalog_TwoMoesConcatenatedAndProjectedBackToD()
    {
        var block = Assert.IsType<T2mirFeedForward>(MoeBlockCatalog.Create(1, Config(), new Rng(1)));
        Assert.Equal(6, block.TokenMoe!.Router.Experts);
        Assert.Equal(8, block.TaskMoe!.Router.Experts);
        Assert.Equal(2, block.TokenMoe.Router.Selector.K);
        Assert.Equal(new Shape(D, 2 * D), block.Projection!.Weight.Shape); // shapes fixed at construction: 2d → d
        Assert.Equal([block.TokenMoe, block.TaskMoe], block.RoutedLayers);
        Assert.Contains(block.TokenMoe.Router.Balancers, b => b is CvSquaredLoss);
        Assert.Contains(block.TaskMoe.Router.Balancers, b => b is RouterContrastiveLoss);
        Assert.DoesNotContain(block.TaskMoe.Router.Balancers, b => b is CvSquaredLoss); // the reference balances the token MoE only
        string[] names = [.. block.NamedParameters().Select(p => p.Name)];
        Assert.Contains("token_moe.gate.w1", names);
        Assert.Contains("task_moe.gate.noise_weight", names);
        Assert.Contains("task_contrastive.target.w2", names);
        Assert.Contains("proj.weight", names);

        var tape = new Tape(1 << 16);
        var (y, losses) = Forward(block, Input(), training: true, [0, 0, 1, 1, 1, 1, 0, 0], tape);
        Assert.Equal(new Shape(Rows, D), y.Shape);
        Assert.True(losses.Count > 0);
    }

    [Fact]
    public void Create_OneBranch_NoProjection_AndWidthsFromOptions()
    {
        var block = Assert.IsType<T2mirFeedForward>(MoeBlockCatalog.Create(0, Config("""{ "branches": "task", "task_width": 5, "contrastive_alpha": 0 }"""), new Rng(1)));
        Assert.Null(block.TokenMoe);
        Assert.Null(block.Projection);
        Assert.Null(block.Contrastive);
        Assert.Equal(5L, block.TaskMoe!.Experts.FlopsPerRow(0) / (2 * 3 * D));
        Assert.Single(block.RoutedLayers);
    }

    [Theory]
    [InlineData("""{ "token_k": 0 }""", "switchyard.block_options.token_k")]
    [InlineData("""{ "branches": "all" }""", "switchyard.block_options.branches")]
    [InlineData("""{ "task_k": 9 }""", "switchyard.block_options.task_k")]
    [InlineData("""{ "tau": 2 }""", "switchyard.block_options.tau")]
    [InlineData("""{ "bogus": 1 }""", "switchyard.block_options.bogus")]
    public void Create_BadOptions_OneClearError(string options, string field)
    {
        var e = Assert.Throws<InvalidConfigException>(() => MoeBlockCatalog.Create(0, Config(options), new Rng(1)));
        Assert.Equal(field, e.Field);
        if (field.EndsWith("bogus", StringComparison.Ordinal)) Assert.Contains("token_experts, token_k", e.Message);
    }

    [Fact]
    public void Forward_Inference_NeverReadsTaskIds()
    {
        // Given one block and one input, routed at inference with two different task-id assignments
        var block = new T2mirFeedForward(D, 6, new T2mirBlockOptions(), new Rng(1));
        Tensor x = Input();
        var tape = new Tape(1 << 16);
        var (a, la) = Forward(block, x, training: false, [0, 0, 0, 0, 1, 1, 1, 1], tape);
        float[] first = a.Value.ToArray();
        int[] plan = block.TaskMoe!.Plan.Expert.ToArray();
        var (b, lb) = Forward(block, x, training: false, [5, 4, 3, 2, 1, 0, 1, 2], tape);

        // Then outputs and routing are identical and no contrastive loss is computed
        Assert.Equal(first, b.Value.ToArray());
        Assert.Equal(plan, block.TaskMoe.Plan.Expert.ToArray());
        Assert.DoesNotContain(block.TaskMoe.Statistics.AuxLosses.ToArray(), l => l.Name == "contrastive");

        // While in training the task ids shape the contrastive loss
        Forward(block, x, training: true, [0, 0, 1, 1, 0, 0, 1, 1], tape);
        float one = block.TaskMoe.Statistics.AuxLoss("contrastive");
        Forward(block, x, training: true, [0, 1, 1, 0, 1, 0, 0, 1], tape);
        Assert.NotEqual(one, block.TaskMoe.Statistics.AuxLoss("contrastive"));
    }
}
