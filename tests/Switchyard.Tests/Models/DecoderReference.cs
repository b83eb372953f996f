using Switchyard.Models;
using Switchyard.Tests.Nn;

namespace Switchyard.Tests.Models;

/// <summary>
/// A dense <see cref="DecoderModel"/> written out naively in double from its parameters (by
/// Hugging Face name): the oracle for the logits and, through central differences, for the
/// gradients of the loss. Follows transformers' modelling code for each variant.
/// </summary>
internal static class DecoderReference
{
    public static double[] Logits(ModelConfig c, IReadOnlyDictionary<string, double[]> p, int[] ids, int batch, int seq)
    {
        int rows = batch * seq, d = c.HiddenSize, v = c.VocabSize, hd = c.EffectiveHeadDim;
        int heads = c.NumAttentionHeads, kvHeads = c.KeyValueHeads, q = heads * hd, kv = kvHeads * hd;
        double eps = c.RmsNormEps;
        double[] embed = p["model.embed_tokens.weight"];
        var x = new double[rows * d];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < d; j++) x[r * d + j] = embed[ids[r] * d + j] * c.EmbeddingMultiplier;
        bool qkvBias = c.AttentionBias || c.Preset!.ImplicitQkvBias;
        for (int l = 0; l < c.NumHiddenLayers; l++)
        {
            string pre = $"model.layers.{l}.";
            double[]? B(string name) => p.TryGetValue(pre + name, out var b) ? b : null;
            var h = NnReference.RmsNorm(x, p[pre + "input_layernorm.weight"], rows, d, eps);
            var qs = NnReference.Linear(h, p[pre + "self_attn.q_proj.weight"], qkvBias ? B("self_attn.q_proj.bias") : null, rows, d, q);
            var ks = NnReference.Linear(h, p[pre + "self_attn.k_proj.weight"], qkvBias ? B("self_attn.k_proj.bias") : null, rows, d, kv);
            var vs = NnReference.Linear(h, p[pre + "self_attn.v_proj.weight"], qkvBias ? B("self_attn.v_proj.bias") : null, rows, d, kv);
            if (c.QkNorm == QkNormKind.FullProjection)
            {
                qs = NnReference.RmsNorm(qs, p[pre + "self_attn.q_norm.weight"], rows, q, eps);
                ks = NnReference.RmsNorm(ks, p[pre + "self_attn.k_norm.weight"], rows, kv, eps);
            }
            if (c.ClipQkv is { } clip)
                foreach (var t in new[] { qs, ks, vs })
                    for (int i = 0; i < t.Length; i++) t[i] = Math.Clamp(t[i], -clip, clip);
            if (c.QkNorm == QkNormKind.PerHead)
            {
                qs = NnReference.RmsNorm(qs, p[pre + "self_attn.q_norm.weight"], rows * heads, hd, eps);
                ks = NnReference.RmsNorm(ks, p[pre + "self_attn.k_norm.weight"], rows * kvHeads, hd, eps);
            }
            NnReference.Rope(qs, batch, seq, heads, hd, c.RopeTheta);
            NnReference.Rope(ks, batch, seq, kvHeads, hd, c.RopeTheta);
            // NnReference.Attention scales by 1/√hd; a different scale is the same as rescaling q.
            if (c.AttentionMultiplier is { } m)
                for (int i = 0; i < qs.Length; i++) qs[i] *= m * Math.Sqrt(hd);
            var o = NnReference.Attention(qs, ks, vs, batch, seq, heads, kvHeads, hd);
            var a = NnReference.Linear(o, p[pre + "self_attn.o_proj.weight"], c.AttentionBias ? B("self_attn.o_proj.bias") : null, rows, q, d);
            for (int i = 0; i < x.Length; i++) x[i] += c.ResidualMultiplier * a[i];
            h = NnReference.RmsNorm(x, p[pre + "post_attention_layernorm.weight"], rows, d, eps);
            var f = NnReference.SwiGlu(h, p[pre + "mlp.gate_proj.weight"], p[pre + "mlp.up_proj.weight"], p[pre + "mlp.down_proj.weight"],
                rows, d, c.IntermediateSize);
            for (int i = 0; i < x.Length; i++) x[i] += c.ResidualMultiplier * f[i];
        }
        x = NnReference.RmsNorm(x, p["model.norm.weight"], rows, d, eps);
        var head = c.TieWordEmbeddings ? embed : p["lm_head.weight"];
        var logits = NnReference.Linear(x, head, null, rows, d, v);
        for (int i = 0; i < logits.Length; i++) logits[i] /= c.LogitsScaling;
        return logits;
    }
}
