using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Routing;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// A decoder-only causal language model of the Switchyard family: <c>model.embed_tokens</c> →
/// N × <see cref="DecoderLayer"/> (dense or MoE feed-forward per layer) → <c>model.norm</c> →
/// <c>lm_head</c> (tied or untied). Parameter names are Hugging Face's, so
/// <see cref="Module.Save"/>/<see cref="Module.Load"/> read and write checkpoints of the
/// configured architecture (dense layers and attention; MoE blocks name their own tensors).
/// </summary>
/// <remarks>
/// A steady-state step allocates nothing: token ids go to the tape's int arena, positions and
/// masked targets live in arrays kept across steps, and auxiliary losses in a reused list.
/// </remarks>
public sealed partial class DecoderModel : Module
{
    /// <summary>Default ignore index of targets, as transformers (-100).</summary>
    public const int IgnoreIndex = -100;

    int[] _positions = [];
    int _positionsSeq;
    int[] _maskedTargets = [];

    /// <summary>
    /// Builds the model for <paramref name="config"/>, drawing every initial weight from
    /// <paramref name="rng"/> in parameter order, each layer's feed-forward from
    /// <paramref name="feedForward"/> (default <see cref="FeedForwardBlocks.Default"/>: dense layers only).
    /// </summary>
    /// <exception cref="InvalidConfigException">The configuration is invalid or asks for something not implemented.</exception>
    /// <exception cref="NotSupportedException">An MoE layer and no factory that builds MoE blocks.</exception>
    public DecoderModel(ModelConfig config, Rng rng, FeedForwardFactory? feedForward = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(rng);
        config.EnsureBuildable();
        Config = config;
        Model = AddModule("model", new DecoderStack(config, feedForward ?? FeedForwardBlocks.Default, rng));
        LmHead = AddModule("lm_head", config.TieWordEmbeddings
            ? new LanguageModelHead(Model.EmbedTokens.Weight)
            : new LanguageModelHead(config.HiddenSize, config.VocabSize, rng, (float)config.InitializerRange));
        // Its own stream, split off after the weights, so noise never shifts the initialisation.
        Rng = new Rng(rng.NextUInt64());
        // A state object from the start, so recurrent routers (RMoE) carry their hidden state across layers.
        RoutingContext = new RoutingContext(Rng) { State = new RouterState() };
    }

    /// <summary>The configuration the model was built from.</summary>
    public ModelConfig Config { get; private init; }

    /// <summary>The <c>model</c> child: embeddings, layers, final norm.</summary>
    public DecoderStack Model { get; }

    /// <summary>The <c>lm_head</c> child.</summary>
    public LanguageModelHead LmHead { get; }

    /// <summary>
    /// Whether forward passes are training steps (routers add noise/jitter, bias balancers count
    /// load). False after construction, as transformers' <c>from_pretrained</c> returns eval mode.
    /// </summary>
    public bool Training { get; set; }

    /// <summary>The random source handed to layers for training-time noise.</summary>
    public Rng Rng { get; }

    /// <summary>
    /// The one routing context every MoE layer's router receives. Before a forward pass the caller may
    /// set its side information (<see cref="RoutingContext.TaskIds"/>, <see cref="RoutingContext.LanguageIds"/>,
    /// <see cref="RoutingContext.Override"/>, <see cref="RoutingContext.State"/>, …); the model sets token
    /// ids, positions, sequence length, training flag and random source per pass, the layer per layer,
    /// and resets <see cref="RoutingContext.State"/> at the start of each pass.
    /// </summary>
    public RoutingContext RoutingContext { get; }

    /// <summary>Auxiliary losses the layers reported in the last forward pass (valid until the tape is reset).</summary>
    public AuxiliaryLosses AuxiliaryLosses { get; } = new();

    /// <summary>Receives each layer's feed-forward block after it runs (routing statistics), or null.</summary>
    public ILayerStatsSink? StatsSink { get; set; }

    /// <summary>Decoder layers.</summary>
    public ModuleList<DecoderLayer> Layers => Model.Layers;

    /// <summary>
    /// Logits [batch·seq, vocab] for <paramref name="ids"/> [batch·seq] (row b·seq + t is token t of
    /// sequence b). Clears and refills <see cref="AuxiliaryLosses"/>.
    /// </summary>
    /// <exception cref="ArgumentException">ids.Length is not batch·seq.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or an id is outside the vocabulary.</exception>
    public Var Forward(Tape tape, ReadOnlySpan<int> ids, int batch, int seq)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seq);
        if (ids.Length != batch * seq) throw new ArgumentException($"{ids.Length} token ids for batch {batch} × seq {seq}", nameof(ids));
        AuxiliaryLosses.Clear();
        Var x = Model.EmbedTokens.Forward(tape, ids);
        if (Config.EmbeddingMultiplier != 1) x = tape.Scale(x, (float)Config.EmbeddingMultiplier);
        ReadOnlyMemory<int> tokenIds = tape.CopyInts(ids);
        ReadOnlyMemory<int> positions = Positions(batch, seq);
        var routing = RoutingContext;
        routing.TokenIds = tokenIds;
        routing.Positions = positions;
        routing.SequenceLength = seq;
        routing.Training = Training;
        routing.Rng = Rng;
        routing.State?.Reset(); // cross-layer router state lives for one pass
        for (int i = 0; i < Model.Layers.Count; i++)
        {
            routing.Layer = i;
            var context = new LayerContext(tokenIds, positions, batch, seq, i, Training, Rng, AuxiliaryLosses, routing);
            DecoderLayer layer = Model.Layers[i];
            x = layer.Forward(tape, x, context);
            StatsSink?.OnFeedForward(i, layer.FeedForward, batch * seq);
        }
        Var logits = LmHead.Forward(tape, Model.Norm.Forward(tape, x));
        if (Config.LogitsScaling != 1) logits = tape.Scale(logits, (float)(1 / Config.LogitsScaling));
        return logits;
    }

    /// <summary>
    /// The training loss: mean cross-entropy of the logits against <paramref name="targets"/> [batch·seq]
    /// over the rows whose target is not <paramref name="ignoreIndex"/>, plus Σ coefficient·auxiliary loss.
    /// The cross-entropy alone is in <see cref="LastCrossEntropy"/>.
    /// </summary>
    /// <exception cref="ArgumentException">targets.Length is not batch·seq.</exception>
    public Var Loss(Tape tape, ReadOnlySpan<int> ids, ReadOnlySpan<int> targets, int batch, int seq, int ignoreIndex = IgnoreIndex)
    {
        if (targets.Length != batch * seq) throw new ArgumentException($"{targets.Length} targets for batch {batch} × seq {seq}", nameof(targets));
        Var logits = Forward(tape, ids, batch, seq);
        Var ce = tape.CrossEntropy(logits, targets, ignoreIndex);
        LastCrossEntropy = ce.Value[0];
        LastLogits = logits;
        Var? aux = AuxiliaryLosses.Total(tape);
        return aux is null ? ce : tape.Add(ce, aux);
    }

    /// <summary>
    /// As <see cref="Loss(Tape, ReadOnlySpan{int}, ReadOnlySpan{int}, int, int, int)"/>, counting only
    /// the rows where <paramref name="lossMask"/> is non-zero (<c>TokenBatch.LossMask</c>: 1 on answer
    /// tokens and text, 0 on prompts and padding). The mask selects rows; it does not weight them.
    /// </summary>
    /// <exception cref="ArgumentException">targets or mask length is not batch·seq.</exception>
    public Var Loss(Tape tape, ReadOnlySpan<int> ids, ReadOnlySpan<int> targets, ReadOnlySpan<float> lossMask, int batch, int seq)
    {
        int rows = batch * seq;
        if (lossMask.Length != rows) throw new ArgumentException($"{lossMask.Length} mask entries for batch {batch} × seq {seq}", nameof(lossMask));
        if (targets.Length != rows) throw new ArgumentException($"{targets.Length} targets for batch {batch} × seq {seq}", nameof(targets));
        if (_maskedTargets.Length < rows) _maskedTargets = new int[rows];
        Span<int> masked = _maskedTargets.AsSpan(0, rows);
        for (int i = 0; i < rows; i++) masked[i] = lossMask[i] != 0f ? targets[i] : IgnoreIndex;
        return Loss(tape, ids, masked, batch, seq, IgnoreIndex);
    }

    /// <summary>The logits [batch·seq, vocab] of the last <c>Loss</c> call (valid until the tape is reset): multi-pass training losses compare them.</summary>
    public Var? LastLogits { get; private set; }

    /// <summary>The cross-entropy part of the last <see cref="Loss(Tape, ReadOnlySpan{int}, ReadOnlySpan{int}, int, int, int)"/> (nats, without auxiliary losses).</summary>
    public float LastCrossEntropy { get; private set; }

    /// <summary>
    /// The loss in nats of every token into <paramref name="loss"/> [batch·seq] (0 where the target is
    /// <paramref name="ignoreIndex"/>), computed without recording gradients: per-domain and
    /// per-position evaluation. Resets nothing; the caller resets the tape.
    /// </summary>
    /// <exception cref="ArgumentException">A length is not batch·seq.</exception>
    public void PerTokenLoss(Tape tape, ReadOnlySpan<int> ids, ReadOnlySpan<int> targets, int batch, int seq, Span<float> loss,
        int ignoreIndex = IgnoreIndex)
    {
        ArgumentNullException.ThrowIfNull(tape);
        int rows = batch * seq;
        if (targets.Length != rows) throw new ArgumentException($"{targets.Length} targets for batch {batch} × seq {seq}", nameof(targets));
        if (loss.Length != rows) throw new ArgumentException($"{loss.Length} loss slots for batch {batch} × seq {seq}", nameof(loss));
        using (tape.NoGrad())
        {
            Var logits = Forward(tape, ids, batch, seq);
            Tensors.Kernels.CrossEntropy.PerRow(logits.Value.Span, targets, loss, rows, Config.VocabSize, ignoreIndex);
        }
    }

    /// <summary>Parameters of the model (<see cref="ModelCost.Parameters"/> of its config).</summary>
    public long ParameterCount(bool includeEmbedding) => ModelCost.Parameters(Config, includeEmbedding);

    /// <summary>Parameters a token uses (<see cref="ModelCost.ActiveParameters"/> of its config).</summary>
    public long ActiveParameterCount(bool includeEmbedding) => ModelCost.ActiveParameters(Config, includeEmbedding);

    /// <summary>Forward FLOPs per token at <paramref name="context"/> keys (<see cref="ModelCost.ForwardFlopsPerToken"/>).</summary>
    public double ForwardFlopsPerToken(int context, bool active = true, bool includeEmbedding = true) =>
        ModelCost.ForwardFlopsPerToken(Config, context, active, includeEmbedding);

    ReadOnlyMemory<int> Positions(int batch, int seq)
    {
        int rows = batch * seq;
        if (_positions.Length < rows || _positionsSeq != seq)
        {
            if (_positions.Length < rows) _positions = new int[rows];
            for (int i = 0; i < _positions.Length; i++) _positions[i] = i % seq;
            _positionsSeq = seq;
        }
        return _positions.AsMemory(0, rows);
    }
}
