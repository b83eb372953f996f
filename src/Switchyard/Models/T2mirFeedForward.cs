using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Nn.Layers;
using Switchyard.Routing;
using Switchyard.Routing.Balancers;
using Switchyard.Routing.Catalog;
using Switchyard.Routing.Scorers;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// T2MIR's feed-forward (arXiv 2506.05426, NJU-RL/T2MIR): a token-wise MoE and a task-wise MoE side by side on the
/// same input, y = W_proj·[MoE_token(x); MoE_task(x)]. The token MoE routes by content (<c>noisy-mlp</c>: MLP gate,
/// noisy top-k, CV² balance); the task MoE has the same kind of gate trained with <see cref="RouterContrastiveLoss"/>
/// (task ids, training only; EMA target updated after each optimizer step). Block kind <c>t2mir</c>
/// (<see cref="MoeBlockCatalog"/>), options <see cref="T2mirBlockOptions"/>.
/// </summary>
/// <remarks>
/// <para>Shapes are fixed at construction: each MoE maps d → d, so the concatenation is 2d wide and the projection
/// <c>proj</c> (Linear 2d → d, no bias) brings it back to the residual width. The reference instead gives each MoE an
/// output of d/2 and concatenates to d without a projection; both keep the next layer's input at d. With one branch
/// (<c>branches</c> = token or task) there is no concatenation and no projection.</para>
/// <para>Children: <c>token_moe</c> and <c>task_moe</c> (each <c>gate.w1</c>, <c>gate.w2</c>, <c>gate.noise_weight</c>,
/// <c>experts.*</c>), <c>task_contrastive</c> (<c>w</c>, the frozen <c>target.w1</c>, <c>target.w2</c>), <c>proj</c>.</para>
/// </remarks>
public sealed class T2mirFeedForward : FeedForwardBlock
{
    readonly RoutingContext _routing = new(new Rng(0));
    readonly AuxLossAccumulator _aux = new();
    readonly MoeLayer[] _layers;

    /// <summary>Builds the block for layer width <paramref name="modelDim"/> with expert width <paramref name="expertWidth"/> as the unit of the option widths.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public T2mirFeedForward(int modelDim, int expertWidth, T2mirBlockOptions options, Rng rng, float initStd = 0.02f)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(modelDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(expertWidth);
        ModelDim = modelDim;
        Options = options;
        var layers = new List<MoeLayer>(2);
        if (options.Branches is "both" or "token")
        {
            int width = options.TokenWidth > 0 ? options.TokenWidth : expertWidth;
            Router router = RouterCatalog.Create("noisy-mlp", new RouterSetup(modelDim, options.TokenExperts, rng),
                new NoisyMlpRouterOptions { K = options.TokenK, Noisy = options.Noisy, CvAlpha = options.CvAlpha });
            TokenMoe = AddModule("token_moe", new MoeLayer(router, new SwiGluExperts(modelDim, options.TokenExperts, width, rng, initStd)));
            layers.Add(TokenMoe);
        }
        if (options.Branches is "both" or "task")
        {
            int width = options.TaskWidth > 0 ? options.TaskWidth : Math.Max(1, (int)Math.Round(expertWidth * 4.0 / 3.0));
            var scorer = new MlpScorer(modelDim, options.TaskExperts, rng, options.Noisy);
            var balancers = new List<IBalancer>(2);
            if (options.ContrastiveAlpha > 0) balancers.Add(Contrastive = new RouterContrastiveLoss(scorer, rng, options.ContrastiveAlpha, options.Tau));
            if (options.TaskCvAlpha > 0) balancers.Add(new CvSquaredLoss(options.TaskCvAlpha, scorer));
            var router = new Router(scorer, new TopKSelector(options.TaskK) { Normalize = true }, [.. balancers]);
            TaskMoe = AddModule("task_moe", new MoeLayer(router, new SwiGluExperts(modelDim, options.TaskExperts, width, rng, initStd)));
            layers.Add(TaskMoe);
            if (Contrastive is not null) AddModule("task_contrastive", Contrastive);
        }
        _layers = [.. layers];
        if (_layers.Length == 2) Projection = AddModule("proj", new Linear(2 * modelDim, modelDim, rng, initStd: initStd));
    }

    /// <summary>Builds the block of layer <paramref name="layer"/> from a config and its <c>block_options</c>.</summary>
    /// <exception cref="InvalidConfigException">The options are invalid.</exception>
    public static T2mirFeedForward Create(int layer, ModelConfig config, Rng rng, System.Text.Json.JsonElement? options)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new T2mirFeedForward(config.HiddenSize, config.ExpertIntermediateSize, T2mirBlockOptions.Parse(options), rng, (float)config.InitializerRange);
    }

    /// <summary>The options the block was built with.</summary>
    public T2mirBlockOptions Options { get; }

    /// <summary>Model width d.</summary>
    public int ModelDim { get; }

    /// <summary>The token-wise MoE, or null when only the task branch runs.</summary>
    public MoeLayer? TokenMoe { get; }

    /// <summary>The task-wise MoE, or null when only the token branch runs.</summary>
    public MoeLayer? TaskMoe { get; }

    /// <summary>The task router's contrastive loss (owner of the EMA target), or null when off.</summary>
    public RouterContrastiveLoss? Contrastive { get; }

    /// <summary>The projection 2d → d after the concatenation, or null with one branch.</summary>
    public Linear? Projection { get; }

    /// <inheritdoc/>
    public override int HiddenSize => ModelDim;

    /// <inheritdoc/>
    public override IEnumerable<MoeLayer> RoutedLayers => _layers;

    /// <inheritdoc/>
    public override Var Forward(Tape tape, Var x, in LayerContext context)
    {
        ArgumentNullException.ThrowIfNull(tape);
        _routing.TokenIds = context.TokenIds;
        _routing.Positions = context.Positions;
        _routing.SequenceLength = context.Seq;
        _routing.Layer = context.Layer;
        _routing.Training = context.Training;
        _routing.Rng = context.Rng;
        _routing.Step = context.Routing?.Step ?? 0;
        _routing.TotalSteps = context.Routing?.TotalSteps ?? 0;
        _routing.State = context.Routing?.State;
        MoeFeedForward.CopySideInformation(context.Routing, _routing);
        _aux.Clear();
        Var y = _layers[0].Forward(tape, x, _routing, _aux);
        if (_layers.Length == 2)
        {
            Var task = _layers[1].Forward(tape, x, _routing, _aux);
            Shape shape = y.Shape;
            Var both = tape.Concat(tape.Reshape(y, new Shape(shape.Size / ModelDim, ModelDim)), tape.Reshape(task, new Shape(shape.Size / ModelDim, ModelDim)));
            y = tape.Reshape(Projection!.Forward(tape, both), shape);
        }
        if (_aux.Total is { } aux) context.Losses.Add("router_aux", context.Layer, aux, 1f);
        return y;
    }
}
