using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Nn.Layers;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// One pre-norm decoder layer: h = x + r·self_attn(input_layernorm(x)); y = h + r·ffn(post_attention_layernorm(h)),
/// r = Granite's <c>residual_multiplier</c> (1 elsewhere). Children, in Hugging Face order:
/// <c>input_layernorm</c>, <c>self_attn</c>, <c>post_attention_layernorm</c>, and the feed-forward
/// under <see cref="FeedForwardName"/>.
/// </summary>
public sealed class DecoderLayer : Module
{
    /// <summary>
    /// Creates layer <paramref name="index"/> of <paramref name="config"/>, its feed-forward from
    /// <paramref name="feedForward"/>. Weights are drawn from <paramref name="rng"/> in parameter
    /// order (attention, then feed-forward), so a layer's initialisation does not depend on how
    /// its feed-forward is made.
    /// </summary>
    /// <exception cref="ArgumentException">The block's width is not hidden_size.</exception>
    public DecoderLayer(int index, ModelConfig config, FeedForwardFactory feedForward, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(feedForward);
        Index = index;
        Kind = config.LayerKind(index);
        ResidualMultiplier = (float)config.ResidualMultiplier;
        float eps = (float)config.RmsNormEps;
        InputLayerNorm = AddModule("input_layernorm", new RmsNorm(config.HiddenSize, eps));
        SelfAttention = AddModule("self_attn", new DecoderAttention(config, rng));
        PostAttentionLayerNorm = AddModule("post_attention_layernorm", new RmsNorm(config.HiddenSize, eps));
        // Mixtral and Granite name the MoE block block_sparse_moe; dense layers are mlp everywhere.
        FeedForwardName = Kind == FeedForwardKind.Moe ? config.MoeNames.Block : "mlp";
        FeedForwardBlock block = feedForward(index, config, rng);
        if (block.HiddenSize != config.HiddenSize)
            throw new ArgumentException($"layer {index}: feed-forward width {block.HiddenSize} differs from hidden_size {config.HiddenSize}", nameof(feedForward));
        FeedForward = AddModule(FeedForwardName, block);
        // Union of Experts: the block's selective-heads router works inside this layer's attention.
        if (block is UoeFeedForward { HeadRouter: { } heads }) SelfAttention.EnableHeadSelection(heads);
    }

    /// <summary>Runs the layer on <paramref name="x"/> [rows, d].</summary>
    public Var Forward(Tape tape, Var x, in LayerContext context)
    {
        Var a = SelfAttention.Forward(tape, InputLayerNorm.Forward(tape, x), context);
        Var h = tape.Add(x, Residual(tape, a));
        Var f = FeedForward.Forward(tape, PostAttentionLayerNorm.Forward(tape, h), context);
        return tape.Add(h, Residual(tape, f));
    }

    Var Residual(Tape tape, Var y) => ResidualMultiplier == 1f ? y : tape.Scale(y, ResidualMultiplier);

    /// <inheritdoc/>
    protected override void OnChildReplaced(string name, Module child)
    {
        if (name == FeedForwardName && child is FeedForwardBlock f && f.HiddenSize == FeedForward.HiddenSize) FeedForward = f;
        else base.OnChildReplaced(name, child);
    }

    /// <summary>Layer index.</summary>
    public int Index { get; }

    /// <summary>Whether the configuration makes this layer dense or MoE.</summary>
    public FeedForwardKind Kind { get; }

    /// <summary>Granite's residual multiplier (1 elsewhere).</summary>
    public float ResidualMultiplier { get; }

    /// <summary>Norm before attention.</summary>
    public RmsNorm InputLayerNorm { get; }

    /// <summary>The attention block.</summary>
    public DecoderAttention SelfAttention { get; }

    /// <summary>Norm before the feed-forward.</summary>
    public RmsNorm PostAttentionLayerNorm { get; }

    /// <summary>Child name of the feed-forward: <c>mlp</c>, or <c>block_sparse_moe</c> for Mixtral/Granite MoE layers.</summary>
    public string FeedForwardName { get; }

    /// <summary>The feed-forward block (replaceable by another block of the same width).</summary>
    public FeedForwardBlock FeedForward { get; private set; }
}
