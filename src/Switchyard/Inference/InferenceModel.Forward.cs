using System.Runtime.InteropServices;
using Switchyard.Models;
using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Inference;

// The forward pass: embeddings → layers (attention over the cache, dense or MoE feed-forward) → head.
public sealed partial class InferenceModel
{
    /// <summary>
    /// Runs <paramref name="ids"/> as the next tokens of the sequence in <paramref name="cache"/> (positions
    /// cache.Length onward), appends their keys and values, and writes logits: for every token when
    /// <paramref name="logits"/> holds ids.Length × vocab values, for the last token only when it holds vocab.
    /// A prompt runs in passes of at most <see cref="InferenceOptions.PrefillChunk"/> tokens.
    /// </summary>
    /// <exception cref="ArgumentException">No ids, a logits span of another length, or a cache of another model's shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    /// <exception cref="InvalidOperationException">The tokens do not fit in the cache.</exception>
    public void Forward(ReadOnlySpan<int> ids, KvCache cache, Span<float> logits)
    {
        ArgumentNullException.ThrowIfNull(cache);
        int total = ids.Length, vocab = VocabSize;
        if (total == 0) throw new ArgumentException("no token ids", nameof(ids));
        if (cache.Layers != _layers.Length || cache.KvHeads != Config.KeyValueHeads || cache.HeadDim != Config.EffectiveHeadDim)
            throw new ArgumentException($"the cache is [{cache.Layers} layers, {cache.KvHeads} × {cache.HeadDim}], the model needs [{_layers.Length}, {Config.KeyValueHeads} × {Config.EffectiveHeadDim}]", nameof(cache));
        bool all = logits.Length == (long)total * vocab;
        if (!all && logits.Length != vocab)
            throw new ArgumentException($"logits must hold {vocab} (last token) or {(long)total * vocab} (every token) values, got {logits.Length}", nameof(logits));
        if (total > cache.Capacity - cache.Length) throw cache.Full(total);
        if (total > MaxContext - cache.Length)
            throw new InvalidOperationException($"the model was prepared for {MaxContext} positions; {cache.Length} are used and {total} more do not fit");
        foreach (int id in ids)
            if ((uint)id >= (uint)vocab) throw new ArgumentOutOfRangeException(nameof(ids), id, $"token ids are 0..{vocab - 1}");
        int chunk = _ws.Chunk;
        for (int start = 0; start < total; start += chunk)
        {
            int n = Math.Min(chunk, total - start);
            bool last = start + n == total;
            Span<float> rows = all ? logits.Slice(start * vocab, n * vocab) : last ? logits : default;
            Pass(ids.Slice(start, n), cache, rows, all);
        }
    }

    void Pass(ReadOnlySpan<int> ids, KvCache cache, Span<float> logits, bool all)
    {
        ModelConfig c = Config;
        int tokens = ids.Length, start = cache.Length, d = c.HiddenSize;
        int heads = c.NumAttentionHeads, kvHeads = c.KeyValueHeads, hd = c.EffectiveHeadDim, q = heads * hd, kv = kvHeads * hd;
        float eps = (float)c.RmsNormEps, theta = (float)c.RopeTheta, residual = (float)c.ResidualMultiplier;
        float scale = c.AttentionMultiplier is { } m ? (float)m : 1f / MathF.Sqrt(hd);
        float? clip = c.ClipQkv is { } cq ? (float)cq : null;
        Workspace ws = _ws;
        Span<float> x = ws.Hidden.AsSpan(0, tokens * d), normed = ws.Normed.AsSpan(0, tokens * d), output = ws.Output.AsSpan(0, tokens * d);
        Span<float> query = ws.Query.AsSpan(0, tokens * q), attention = ws.Attention.AsSpan(0, tokens * q);
        ReadOnlySpan<int> positions = ws.Positions.AsSpan(start, tokens);

        for (int t = 0; t < tokens; t++) EmbeddingRow(ids[t], x.Slice(t * d, d));
        if (c.EmbeddingMultiplier != 1) Elementwise.Scale(x, (float)c.EmbeddingMultiplier, x);
        ids.CopyTo(ws.Ids);
        _routing.TokenIds = ws.Ids.AsMemory(0, tokens);
        _routing.Positions = ws.Positions.AsMemory(start, tokens);
        _routing.SequenceLength = tokens;
        _routing.Training = false;

        for (int i = 0; i < _layers.Length; i++)
        {
            InferenceLayer l = _layers[i];
            RmsNorm.Forward(x, l.InputNorm.Span, normed, ws.InvRms.AsSpan(0, tokens), tokens, d, eps);
            // Keys and values are projected straight into the cache rows of these positions.
            Span<float> keys = cache.Keys(i), values = cache.Values(i);
            Span<float> k = keys.Slice(start * kv, tokens * kv), v = values.Slice(start * kv, tokens * kv);
            Project(l.Q, l.QBias, normed, query, tokens);
            Project(l.K, l.KBias, normed, k, tokens);
            Project(l.V, l.VBias, normed, v, tokens);
            if (c.QkNorm == QkNormKind.FullProjection)
            {
                RmsNorm.Forward(query, l.QNorm.Span, query, ws.InvRms.AsSpan(0, tokens), tokens, q, eps);
                RmsNorm.Forward(k, l.KNorm.Span, k, ws.InvRms.AsSpan(0, tokens), tokens, kv, eps);
            }
            if (clip is { } cl)
            {
                Clamp.Forward(query, query, -cl, cl);
                Clamp.Forward(k, k, -cl, cl);
                Clamp.Forward(v, v, -cl, cl);
            }
            if (c.QkNorm == QkNormKind.PerHead)
            {
                RmsNorm.Forward(query, l.QNorm.Span, query, ws.InvRms.AsSpan(0, tokens * heads), tokens * heads, hd, eps);
                RmsNorm.Forward(k, l.KNorm.Span, k, ws.InvRms.AsSpan(0, tokens * kvHeads), tokens * kvHeads, hd, eps);
            }
            if (_interleavedRope)
            {
                Rope.ForwardInterleaved(query, query, positions, tokens, heads, hd, theta);
                Rope.ForwardInterleaved(k, k, positions, tokens, kvHeads, hd, theta);
            }
            else
            {
                Rope.Forward(query, query, positions, tokens, heads, hd, theta);
                Rope.Forward(k, k, positions, tokens, kvHeads, hd, theta);
            }
            CachedAttention.Forward(query, keys, values, attention, tokens, start, heads, kvHeads, hd, scale);
            Project(l.O, l.OBias, attention, output, tokens);
            Elementwise.Accumulate(output, x, residual);

            RmsNorm.Forward(x, l.PostNorm.Span, normed, ws.InvRms.AsSpan(0, tokens), tokens, d, eps);
            if (l.Moe is { } moe)
            {
                _routing.Layer = i;
                moe.Forward(ws, tokens, _expertSource, _tape, _routing);
            }
            else InferenceMoe.SwiGluFfn(l.Dense!, normed, output, tokens, ws);
            Elementwise.Accumulate(output, x, residual);
        }
        cache.Advance(tokens);

        if (logits.IsEmpty) return; // an earlier chunk of a prompt whose last logits alone are wanted
        int rows = all ? tokens : 1;
        ReadOnlySpan<float> last = x.Slice((tokens - rows) * d, rows * d);
        RmsNorm.Forward(last, FinalNorm.Span, normed[..(rows * d)], ws.InvRms.AsSpan(0, rows), rows, d, eps);
        LmHead.Multiply(normed[..(rows * d)], logits, rows);
        if (c.LogitsScaling != 1) Elementwise.Scale(logits, (float)(1 / c.LogitsScaling), logits);
    }

    static void Project(WeightMatrix w, ReadOnlyMemory<float> bias, ReadOnlySpan<float> x, Span<float> y, int tokens)
    {
        w.Multiply(x, y, tokens);
        if (!bias.IsEmpty) Elementwise.AddRowBroadcast(y, bias.Span, y, tokens, w.Rows);
    }

    void EmbeddingRow(int id, Span<float> row)
    {
        WeightMatrix e = Embedding;
        ReadOnlySpan<byte> bytes = e.Bytes.Span.Slice(id * e.RowBytes, e.RowBytes);
        if (e.Type == GgmlType.F32) MemoryMarshal.Cast<byte, float>(bytes).CopyTo(row);
        else Dequantizer.DequantizeRow(e.Type, bytes, row);
    }
}
