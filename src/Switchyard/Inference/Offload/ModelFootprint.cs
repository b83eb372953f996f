using System.Globalization;
using Switchyard.Formats;
using Switchyard.Formats.Gguf;
using Switchyard.Models;

namespace Switchyard.Inference;

/// <summary>
/// How many bytes each part of a checkpoint occupies as stored (embeddings, lm_head, per layer: attention,
/// router, shared experts, dense MLP, routed experts), plus the shapes the KV cache depends on: the input
/// of <see cref="MemoryPlan"/>. Read from tensor headers only; no weight is touched.
/// </summary>
/// <remarks>
/// Tensors are assigned by the names the architecture gives them (<see cref="ModelConfig.MoeNames"/>)
/// under <c>model.layers.{i}.</c>; anything in a layer outside its feed-forward block counts as attention,
/// anything outside the layers other than <c>model.embed_tokens</c> and <c>lm_head</c> (the final norm) as
/// <see cref="OtherBytes"/>. GGUF files (<see cref="FromGguf(string)"/>) are read the same way over their tensor infos with
/// llama.cpp's names (<c>token_embd</c>, <c>output</c>, <c>blk.{i}.ffn_gate_inp</c>, <c>ffn_*_exps</c>, <c>ffn_*_shexp</c>, ...).
/// </remarks>
/// <param name="EmbeddingBytes">The token embedding matrix <c>model.embed_tokens.weight</c>.</param>
/// <param name="LmHeadBytes">An untied <c>lm_head.weight</c>; 0 when tied (the head reuses the embeddings).</param>
/// <param name="OtherBytes">Everything else outside the layers (the final norm).</param>
/// <param name="TiedEmbeddings">Whether the head reuses the embedding matrix.</param>
/// <param name="VocabSize">Rows of the embedding matrix.</param>
/// <param name="ExpertsPerToken">k: routed experts each token uses per MoE layer.</param>
/// <param name="KeyValueHeads">Key/value heads per layer.</param>
/// <param name="HeadDim">Width of one head.</param>
/// <param name="Layers">Every decoder layer, in order.</param>
public sealed record ModelFootprint(long EmbeddingBytes, long LmHeadBytes, long OtherBytes, bool TiedEmbeddings, int VocabSize,
    int ExpertsPerToken, int KeyValueHeads, int HeadDim, IReadOnlyList<LayerFootprint> Layers)
{
    /// <summary>Reads <c>config.json</c> and the safetensors headers (sharded or not) of a checkpoint folder.</summary>
    /// <exception cref="InvalidConfigException">config.json is invalid.</exception>
    /// <exception cref="InvalidModelFileException">A weights file or index is malformed, or routed expert tensors do not fit the config.</exception>
    /// <exception cref="FileNotFoundException">config.json or the weights are missing.</exception>
    public static ModelFootprint FromSafeTensors(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string configPath = Path.Combine(directory, DecoderModel.ConfigFileName);
        ModelConfig config = ModelConfig.Load(configPath);
        config.Validate(configPath);
        return FromSafeTensors(directory, config);
    }

    /// <summary>As <see cref="FromSafeTensors(string)"/> with the configuration already read.</summary>
    public static ModelFootprint FromSafeTensors(string directory, ModelConfig config)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(config);
        using SafeTensorsIndex index = SafeTensorsIndex.OpenCheckpoint(directory, DecoderModel.WeightsFileName);
        MoeTensorNames names = config.MoeNames;
        int layers = config.NumHiddenLayers, experts = config.NumExperts;
        var t = new Tally(config);
        const string layerPrefix = "model.layers.";
        foreach (string name in index.Names)
        {
            TensorInfo info = index.GetInfo(name);
            long bytes = info.ByteLength;
            if (name == "model.embed_tokens.weight") { t.Embedding += bytes; continue; }
            if (name.StartsWith("lm_head.", StringComparison.Ordinal))
            {
                if (!config.TieWordEmbeddings) t.Head += bytes; // transformers ignores a stored head when tied
                continue;
            }
            if (!name.StartsWith(layerPrefix, StringComparison.Ordinal) || !TakeIndex(name, layerPrefix.Length, out int l, out int restAt) || l >= layers)
            {
                t.Other += bytes;
                continue;
            }
            string rest = name[restAt..];
            if (t.PerExpert[l].Length == 0)
            {
                if (rest.StartsWith("mlp.", StringComparison.Ordinal)) t.Dense[l] += bytes;
                else t.Attention[l] += bytes;
                continue;
            }
            string block = names.Block + ".";
            if (!rest.StartsWith(block, StringComparison.Ordinal)) { t.Attention[l] += bytes; continue; }
            string inner = rest[block.Length..];
            if (inner.StartsWith(names.Router + ".", StringComparison.Ordinal)) t.Router[l] += bytes;
            else if (names.Experts is not null && inner.StartsWith(names.Experts + ".", StringComparison.Ordinal)
                && TakeIndex(inner, names.Experts.Length + 1, out int e, out _) && e < experts)
                t.PerExpert[l][e] += bytes;
            else if ((names.FusedInput is not null && inner.StartsWith(names.FusedInput + ".", StringComparison.Ordinal))
                || (names.FusedOutput is not null && inner.StartsWith(names.FusedOutput + ".", StringComparison.Ordinal)))
                for (int x = 0; x < experts; x++) t.PerExpert[l][x] += bytes / experts; // [E, …]: an equal share each
            else if ((names.SharedExpert is not null && inner.StartsWith(names.SharedExpert + ".", StringComparison.Ordinal))
                || (names.SharedExpertGate is not null && inner.StartsWith(names.SharedExpertGate + ".", StringComparison.Ordinal)))
                t.Shared[l] += bytes;
            else t.Attention[l] += bytes; // anything else the block holds stays resident with the layer
        }
        return t.Build();
    }

    /// <summary>
    /// Reads a llama.cpp <c>.gguf</c> file's metadata (configuration through <see cref="GgufModelConfig.FromGguf"/>) and tensor
    /// infos; sizes are the stored bytes, so quantized types count exactly. The stacked routed experts
    /// (<c>blk.{i}.ffn_{gate,up,down}_exps</c>, ne = [in, out, E]) are split evenly per expert: each holds whole rows.
    /// </summary>
    /// <exception cref="InvalidModelFileException">The file is malformed, or its stacked experts disagree with the expert count.</exception>
    /// <exception cref="InvalidConfigException">The metadata does not describe a buildable configuration.</exception>
    public static ModelFootprint FromGguf(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using GgufFile file = GgufFile.Open(path);
        ModelConfig config = GgufModelConfig.FromGguf(file);
        int layers = config.NumHiddenLayers, experts = config.NumExperts;
        var t = new Tally(config);
        const string layerPrefix = "blk.";
        foreach (GgufTensorInfo info in file.Tensors)
        {
            string name = info.Name;
            long bytes = info.ByteLength;
            if (name.StartsWith("token_embd.", StringComparison.Ordinal)) { t.Embedding += bytes; continue; }
            if (name.StartsWith("output.", StringComparison.Ordinal))
            {
                if (!config.TieWordEmbeddings) t.Head += bytes;
                continue;
            }
            if (!name.StartsWith(layerPrefix, StringComparison.Ordinal) || !TakeIndex(name, layerPrefix.Length, out int l, out int restAt) || l >= layers)
            {
                t.Other += bytes;
                continue;
            }
            int end = name.IndexOf('.', restAt);
            string part = name[restAt..(end < 0 ? name.Length : end)];
            switch (part)
            {
                case "ffn_gate_exps" or "ffn_up_exps" or "ffn_down_exps" when t.PerExpert[l].Length > 0:
                    if (info.Dimensions.Length != 3 || info.Dimensions[2] != experts || bytes % experts != 0)
                        throw new InvalidModelFileException(path, 0,
                            $"tensor '{name}' has ne = [{string.Join(", ", info.Dimensions)}]; the metadata implies {experts} stacked experts");
                    for (int x = 0; x < experts; x++) t.PerExpert[l][x] += bytes / experts;
                    break;
                case "ffn_gate_inp" or "exp_probs_b": t.Router[l] += bytes; break;
                case "ffn_gate_shexp" or "ffn_up_shexp" or "ffn_down_shexp" or "ffn_gate_inp_shexp": t.Shared[l] += bytes; break;
                case "ffn_gate" or "ffn_up" or "ffn_down" when t.PerExpert[l].Length == 0: t.Dense[l] += bytes; break;
                default: t.Attention[l] += bytes; break; // attention, its norms, ffn_norm: resident with the layer
            }
        }
        return t.Build();
    }

    // Bytes per part while the tensors are walked, then the footprint.
    sealed class Tally(ModelConfig config)
    {
        public readonly long[] Attention = new long[config.NumHiddenLayers], Router = new long[config.NumHiddenLayers],
            Shared = new long[config.NumHiddenLayers], Dense = new long[config.NumHiddenLayers];
        public readonly long[][] PerExpert = [.. Enumerable.Range(0, config.NumHiddenLayers)
            .Select(l => config.LayerKind(l) == FeedForwardKind.Moe ? new long[config.NumExperts] : [])];
        public long Embedding, Head, Other;

        public ModelFootprint Build()
        {
            var list = new LayerFootprint[Attention.Length];
            for (int l = 0; l < list.Length; l++)
            {
                long[] pe = PerExpert[l];
                list[l] = new LayerFootprint(l, Attention[l], Router[l], Shared[l], Dense[l], pe.Length, pe.Length == 0 ? 0 : pe.Max(), pe.Sum());
            }
            return new ModelFootprint(Embedding, Head, Other, config.TieWordEmbeddings, config.VocabSize,
                config.NumExpertsPerTok, config.KeyValueHeads, config.EffectiveHeadDim, list);
        }
    }

    // Reads the decimal index at s[at..] up to the next '.', e.g. "12" in "model.layers.12.mlp".
    static bool TakeIndex(string s, int at, out int value, out int restAt)
    {
        int dot = s.IndexOf('.', at);
        restAt = dot + 1;
        return int.TryParse(s.AsSpan(at, (dot < 0 ? s.Length : dot) - at), NumberStyles.None, CultureInfo.InvariantCulture, out value) && dot >= 0;
    }

    /// <summary>Bytes of everything but the routed experts: what a plan keeps resident first.</summary>
    public long NonExpertBytes => EmbeddingBytes + LmHeadBytes + OtherBytes + Layers.Sum(l => l.NonExpertBytes);

    /// <summary>Bytes of all routed experts.</summary>
    public long RoutedExpertBytes => Layers.Sum(l => l.RoutedExpertBytes);

    /// <summary>Bytes of the whole checkpoint as loaded (a tied head counted once).</summary>
    public long TotalBytes => NonExpertBytes + RoutedExpertBytes;

    /// <summary>The largest routed expert over all layers: one pool slot (0 for a dense model).</summary>
    public long LargestExpertBytes => Layers.Count == 0 ? 0 : Layers.Max(l => l.ExpertBytes);

    /// <summary>Routed experts over all layers.</summary>
    public int ExpertCount => Layers.Sum(l => l.Experts);

    /// <summary>Float32 K and V for <paramref name="context"/> positions: 2·layers·kv_heads·head_dim·context·4.</summary>
    public long KvCacheBytes(int context)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(context);
        return 2L * Layers.Count * KeyValueHeads * HeadDim * context * sizeof(float);
    }
}
