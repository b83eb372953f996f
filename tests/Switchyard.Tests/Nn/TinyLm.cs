using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Nn.Layers;
using Switchyard.Tensors;

namespace Switchyard.Tests.Nn;

/// <summary>
/// A one-block Llama-shaped language model built from the Nn layers, with Hugging Face
/// names (<c>model.embed_tokens</c>, <c>model.layers.0.self_attn</c>, …, <c>lm_head</c>).
/// </summary>
internal sealed class TinyLm : Module
{
    public sealed class Block : Module
    {
        public Block(int hidden, int heads, int kvHeads, int inter, Rng rng)
        {
            InputNorm = AddModule("input_layernorm", new RmsNorm(hidden));
            Attention = AddModule("self_attn", new CausalSelfAttention(hidden, heads, kvHeads, hidden / heads, rng, qkNorm: true));
            PostNorm = AddModule("post_attention_layernorm", new RmsNorm(hidden));
            Mlp = AddModule("mlp", new SwiGluMlp(hidden, inter, rng));
        }

        public RmsNorm InputNorm { get; }
        public CausalSelfAttention Attention { get; }
        public RmsNorm PostNorm { get; }
        public SwiGluMlp Mlp { get; }

        public Var Forward(Tape tape, Var x, int batch, int seq)
        {
            Var h = tape.Add(x, Attention.Forward(tape, InputNorm.Forward(tape, x), batch, seq));
            return tape.Add(h, Mlp.Forward(tape, PostNorm.Forward(tape, h)));
        }
    }

    public sealed class Body : Module
    {
        public Body(int vocab, int hidden, int heads, int kvHeads, int inter, int layers, Rng rng)
        {
            Embed = AddModule("embed_tokens", new Embedding(vocab, hidden, rng));
            Layers = AddModule("layers", new ModuleList<Block>());
            for (int i = 0; i < layers; i++) Layers.Add(new Block(hidden, heads, kvHeads, inter, rng));
            Norm = AddModule("norm", new RmsNorm(hidden));
        }

        public Embedding Embed { get; }
        public ModuleList<Block> Layers { get; }
        public RmsNorm Norm { get; }
    }

    public TinyLm(int vocab, int hidden, int heads, int kvHeads, int inter, int layers, Rng rng)
    {
        Model = AddModule("model", new Body(vocab, hidden, heads, kvHeads, inter, layers, rng));
        LmHead = AddModule("lm_head", new Linear(hidden, vocab, rng));
    }

    public Body Model { get; }
    public Linear LmHead { get; }

    public Var Logits(Tape tape, ReadOnlySpan<int> ids, int batch, int seq)
    {
        Var x = Model.Embed.Forward(tape, ids);
        for (int i = 0; i < Model.Layers.Count; i++) x = Model.Layers[i].Forward(tape, x, batch, seq);
        return LmHead.Forward(tape, Model.Norm.Forward(tape, x));
    }

    public Var Loss(Tape tape, ReadOnlySpan<int> ids, ReadOnlySpan<int> targets, int batch, int seq) =>
        tape.CrossEntropy(Logits(tape, ids, batch, seq), targets);
}
