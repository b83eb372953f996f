using System.Text.RegularExpressions;
using Switchyard.Formats;
using Switchyard.Formats.Gguf;
using Switchyard.Nn;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// <see cref="DecoderModel"/> ↔ llama.cpp GGUF files: tensor names through <see cref="GgufTensorNames"/>,
/// configuration through <see cref="GgufModelConfig"/>.
/// </summary>
/// <remarks>
/// <para>Routed experts are stacked per projection as llama.cpp stores them: <c>blk.{i}.ffn_gate_exps.weight</c>
/// of PyTorch shape [E, F, d] (ggml ne = [d, F, E]); loading slices expert e's rows out of it. Granite-MoE's
/// fused <c>input_linear</c> is split by llama.cpp's converter into <c>ffn_gate_exps</c> and <c>ffn_up_exps</c>,
/// which is also how Switchyard's experts are named, so it needs nothing special here.</para>
/// <para>For the llama and granite families (<see cref="GgufTensorNames.PermutesQueryKey"/>) llama.cpp's
/// converter reorders the rows of q and k (weights and biases) from Hugging Face's rotate-half RoPE
/// layout to interleaved pairs: export applies that permutation and load undoes it, so the model keeps
/// computing rotate-half RoPE.</para>
/// <para>Export types follow the converter: 1-D tensors, norms and router weights (<c>ffn_gate_inp</c>)
/// stay F32; other weights take the requested type, falling back to F16 where a row is not a whole
/// number of quantization blocks (as <c>convert_hf_to_gguf.py</c> does on a <c>QuantError</c>).</para>
/// </remarks>
public static partial class GgufCheckpoint
{
    /// <summary>
    /// Loads the model in <paramref name="path"/>: configuration from the metadata, every parameter from
    /// its tensor (any type <see cref="GgufFile.ReadFloat32"/> converts), everything checked before
    /// anything is read.
    /// </summary>
    /// <param name="path">The .gguf file.</param>
    /// <param name="feedForward">Builds each layer's feed-forward block; default <see cref="MoeFeedForward.Factory"/>.</param>
    /// <exception cref="InvalidModelFileException">The file breaks the format or its metadata makes no valid configuration.</exception>
    /// <exception cref="CheckpointMismatchException">Tensors are missing, unexpected, or of another shape than the configuration implies.</exception>
    /// <exception cref="InvalidConfigException">The configuration cannot be built (e.g. an activation other than SiLU).</exception>
    public static DecoderModel Load(string path, FeedForwardFactory? feedForward = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = GgufFile.Open(path);
        ModelConfig config = GgufModelConfig.FromGguf(file);
        config.EnsureBuildable(path);
        var model = DecoderModel.CreateUninitialized(config, feedForward ?? MoeFeedForward.Factory);
        var plan = new List<(Parameter P, string Gguf, int Expert)>();
        var missing = new List<string>();
        var shapes = new List<string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, p) in model.NamedParameters())
        {
            if (model.LmHead.Tied && name == "lm_head.weight") continue;
            if (!GgufTensorNames.TryFromHuggingFace(name, out string g, out int expert))
                throw new InvalidOperationException($"parameter '{name}' has no GGUF name");
            if (!file.TryGetTensor(g, out GgufTensorInfo info))
            {
                if (used.Add(g)) missing.Add(g);
                continue;
            }
            used.Add(g);
            long[] expected = ExpectedDims(p.Shape, expert >= 0 ? config.NumExperts : 0);
            if (!SameDims(info.Dimensions, expected))
            {
                string message = $"tensor '{g}' has shape {info.FormatShape()} in the file, the configuration implies {Format(expected)}";
                if (!shapes.Contains(message)) shapes.Add(message);
                continue;
            }
            plan.Add((p, g, expert));
        }
        var unexpected = file.Tensors.Select(t => t.Name).Where(n => !used.Contains(n)).ToList();
        if (missing.Count > 0 || unexpected.Count > 0 || shapes.Count > 0)
            throw new CheckpointMismatchException(path, missing, unexpected, shapes);
        foreach (var (g, _) in plan.Select(x => (x.Gguf, 0)).Distinct())
        {
            GgufTensorInfo t = file.GetTensor(g);
            if (!GgufFile.CanReadAsFloat32(t.Type))
                throw new InvalidModelFileException(path, t.InfoOffset, $"tensor '{g}' has type {t.Type}, which Switchyard cannot convert to float32");
        }
        bool permuted = GgufTensorNames.PermutesQueryKey(config.ModelType);
        foreach (var (p, g, expert) in plan)
        {
            Span<float> values = p.Value.Span;
            if (expert < 0) file.ReadFloat32(g, values);
            else file.ReadRows(g, (long)expert * p.Shape[0], values);
            if (permuted && QueryKeyHeads(g, config) is int heads) Unpermute(values, p.Shape[0], p.Shape.Rank == 2 ? p.Shape[1] : 1, heads);
        }
        return model;
    }

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/> (atomically) as llama.cpp would convert its
    /// Hugging Face checkpoint: metadata from <see cref="GgufModelConfig.ToMetadata"/> followed by
    /// <paramref name="extraMetadata"/> (the tokenizer's <c>tokenizer.ggml.*</c> keys; they win over the
    /// bos/eos ids taken from the configuration), then the tensors in parameter order, routed experts stacked.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The .gguf file to create or replace.</param>
    /// <param name="type">Type of the 2-D weights: F32, F16, BF16 or Q8_0.</param>
    /// <param name="extraMetadata">Further metadata, e.g. the tokenizer's; keys must not repeat.</param>
    /// <param name="name"><c>general.name</c>; default the model type.</param>
    /// <exception cref="ArgumentException">Another type, a repeated key, or a model type llama.cpp has no architecture for.</exception>
    public static void Export(DecoderModel model, string path, GgmlType type = GgmlType.F32,
        IReadOnlyList<KeyValuePair<string, GgufValue>>? extraMetadata = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0))
            throw new ArgumentException($"GGUF export writes F32, F16, BF16 or Q8_0 weights, not {type}", nameof(type));
        ModelConfig config = model.Config;
        extraMetadata ??= [];
        var extraKeys = new HashSet<string>(extraMetadata.Select(kv => kv.Key), StringComparer.Ordinal);
        var writer = new GgufWriter();
        foreach (var kv in GgufModelConfig.ToMetadata(config, name, type))
            if (!extraKeys.Contains(kv.Key)) writer.AddMetadata(kv.Key, kv.Value);
        if (config.BosTokenId is int bos && !extraKeys.Contains("tokenizer.ggml.bos_token_id"))
            writer.AddMetadata("tokenizer.ggml.bos_token_id", GgufValue.UInt32((uint)bos));
        if (config.EosTokenId.Count > 0 && !extraKeys.Contains("tokenizer.ggml.eos_token_id"))
            writer.AddMetadata("tokenizer.ggml.eos_token_id", GgufValue.UInt32((uint)config.EosTokenId[0]));
        writer.AddMetadata(extraMetadata);

        // Stacked expert tensors: every expert's parameter, by GGUF name.
        var named = model.NamedParameters();
        var stacks = new Dictionary<string, Parameter[]>(StringComparer.Ordinal);
        foreach (var (hf, p) in named)
        {
            if (!GgufTensorNames.TryFromHuggingFace(hf, out string g, out int expert) || expert < 0) continue;
            if (!stacks.TryGetValue(g, out var experts)) stacks[g] = experts = new Parameter[config.NumExperts];
            experts[expert] = p;
        }
        bool permute = GgufTensorNames.PermutesQueryKey(config.ModelType);
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (hf, p) in named)
        {
            if (model.LmHead.Tied && hf == "lm_head.weight") continue;
            if (!GgufTensorNames.TryFromHuggingFace(hf, out string g, out int expert))
                throw new InvalidOperationException($"parameter '{hf}' has no GGUF name");
            if (!written.Add(g)) continue;
            long[] ne;
            ReadOnlyMemory<float> values;
            if (expert >= 0)
            {
                Parameter[] experts = stacks[g];
                int size = p.Shape.Size;
                var stacked = new float[(long)size * experts.Length];
                for (int e = 0; e < experts.Length; e++) experts[e].Value.Span.CopyTo(stacked.AsSpan(e * size, size));
                values = stacked;
                ne = ExpectedDims(p.Shape, experts.Length);
            }
            else
            {
                ne = ExpectedDims(p.Shape, 0);
                if (permute && QueryKeyHeads(g, config) is int heads)
                {
                    float[] copy = p.Value.Span.ToArray();
                    Permute(copy, p.Shape[0], p.Shape.Rank == 2 ? p.Shape[1] : 1, heads);
                    values = copy;
                }
                else values = new ReadOnlyMemory<float>(p.Value.Buffer, p.Value.Offset, p.Value.Shape.Size);
            }
            writer.AddTensor(g, ne, values, TensorType(g, ne, type));
        }
        writer.Write(path);
    }

    /// <summary>The type llama.cpp's converter gives tensor <paramref name="ggufName"/> of dimensions <paramref name="ne"/> when asked for <paramref name="requested"/>.</summary>
    internal static GgmlType TensorType(string ggufName, long[] ne, GgmlType requested)
    {
        if (ne.Length <= 1 || ggufName.EndsWith("_norm.weight", StringComparison.Ordinal)
            || ggufName.Contains(".ffn_gate_inp", StringComparison.Ordinal) || ne.Count(d => d > 1) <= 1)
            return GgmlType.F32;
        return GgmlTypes.RowBytes(requested, ne[0]) < 0 ? GgmlType.F16 : requested;
    }

    // q (n_head) and k (n_head_kv) weights and biases are permuted; everything else is not.
    static int? QueryKeyHeads(string gguf, ModelConfig config)
    {
        Match m = QueryKey().Match(gguf);
        if (!m.Success) return null;
        return m.Groups[1].Value == "q" ? config.NumAttentionHeads : config.KeyValueHeads;
    }

    [GeneratedRegex(@"^blk\.\d+\.attn_([qk])\.(weight|bias)$")]
    private static partial Regex QueryKey();

    /// <summary>
    /// llama.cpp's <c>LlamaModel.permute</c>: within each head of <c>rows / heads</c> rows, row
    /// <c>a·half + j</c> (a ∈ {0, 1}, rotate-half layout) moves to row <c>2j + a</c> (interleaved pairs).
    /// </summary>
    internal static void Permute(Span<float> values, int rows, int cols, int heads) => Reorder(values, rows, cols, heads, inverse: false);

    /// <summary>The inverse of <see cref="Permute"/>.</summary>
    internal static void Unpermute(Span<float> values, int rows, int cols, int heads) => Reorder(values, rows, cols, heads, inverse: true);

    static void Reorder(Span<float> values, int rows, int cols, int heads, bool inverse)
    {
        int headRows = rows / heads, half = headRows / 2;
        float[] source = values.ToArray();
        for (int h = 0; h < heads; h++)
            for (int a = 0; a < 2; a++)
                for (int j = 0; j < half; j++)
                {
                    int hf = h * headRows + a * half + j, gg = h * headRows + 2 * j + a;
                    int from = inverse ? gg : hf, to = inverse ? hf : gg;
                    source.AsSpan(from * cols, cols).CopyTo(values.Slice(to * cols, cols));
                }
    }

    // ggml order: the PyTorch shape reversed, then the expert count outermost for stacked tensors.
    static long[] ExpectedDims(Shape shape, int experts)
    {
        var ne = new List<long>();
        for (int i = shape.Rank - 1; i >= 0; i--) ne.Add(shape[i]);
        if (experts > 0) ne.Add(experts);
        return [.. ne];
    }

    // [d] and [d, 1] are the same tensor to llama.cpp (shared-expert gates are stored either way).
    static bool SameDims(long[] file, long[] expected)
    {
        int n = file.Length, m = expected.Length;
        while (n > 1 && file[n - 1] == 1) n--;
        while (m > 1 && expected[m - 1] == 1) m--;
        return file.AsSpan(0, n).SequenceEqual(expected.AsSpan(0, m));
    }

    static string Format(long[] ne) => "[" + string.Join(", ", ne.Reverse()) + "]";
}
