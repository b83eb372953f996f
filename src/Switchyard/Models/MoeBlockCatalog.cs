using System.Text.Json;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// The MoE block kinds a config can name (<c>"switchyard": { "block": NAME, "block_options": { … } }</c>):
/// what an MoE layer's feed-forward is built as. <see cref="Default"/> is the architecture's block (catalog
/// router + SwiGLU experts + shared experts, <see cref="MoeFeedForward"/>); methods whose experts or
/// layer structure differ (feature-modulated, ternary, heterogeneous small/big/skip, parallel MoEs,
/// chained routing passes) register a builder here, one line each.
/// </summary>
public static class MoeBlockCatalog
{
    /// <summary>Builds the MoE block of layer <paramref name="layer"/>; <paramref name="options"/> is the config's <c>block_options</c> (or null).</summary>
    /// <remarks>Bad options throw <see cref="InvalidConfigException"/> naming <c>switchyard.block_options.FIELD</c>.</remarks>
    public delegate FeedForwardBlock Builder(int layer, ModelConfig config, Rng rng, JsonElement? options, ReadOnlyMemory<long> tokenCounts);

    /// <summary>The architecture's own MoE block.</summary>
    public const string Default = "moe";

    static readonly SortedDictionary<string, (string Summary, Builder Build)> s_entries = new(StringComparer.Ordinal)
    {
        [Default] = ("catalog router + routed SwiGLU experts (+ shared experts): the architecture's MoE block",
            (layer, config, rng, options, counts) => options is null ? MoeFeedForward.Create(layer, config, rng, counts)
                : throw new InvalidConfigException(null, "switchyard.block_options", $"null (block \"{Default}\" takes no options)", options.Value.GetRawText())),
        [ChainedMoeFeedForward.BlockName] = ("Chain-of-Experts (2506.18945): the moe block's router and experts applied C times, a router per iteration; options iterations, residual (inner|outer), shared_gate", ChainedMoeFeedForward.Create),
        [FilmBlock.Name] = ("MoFME: FiLM experts (γ_e ⊙ h + β_e) on one shared SwiGLU trunk computed once per token; options trunk_width", FilmBlock.Create),
        [MoteBlock.Name] = ("MoTE: frozen full-precision shared expert + routed ternary (or float32) experts; options ternary, expert_width, shared_width, freeze_shared, activation_bits", MoteBlock.Create),
        ["t2mir"] = ("T2MIR: token-wise MoE (noisy MLP gate, CV² balance) beside a task-wise MoE (contrastive router, EMA target), concatenated and projected to d",
            (layer, config, rng, options, _) => T2mirFeedForward.Create(layer, config, rng, options)),
        [DuoFeedForward.Name] = ("Duo-LLM: big FFN, small FFN and skip per token and layer (duo-random / duo-router); options big_width, small_width, skip, costs", (layer, config, rng, options, _) => DuoFeedForward.Create(layer, config, rng, options)),
        [ReadMeFeedForward.Name] = ("Read-ME: one dense SwiGLU FFN split by masks into an always-on shared slice + E routed slices (filled by conversion extract-experts); router per layer, or with router \"read-me\" one pre-gating route shared by all layers",
            (layer, config, rng, options, counts) => new ReadMeFeedForward(layer, config, rng, options)),
        [UoeFeedForward.BlockName] = ("Union of Experts: a dense SwiGLU decomposed into slice experts routed by the layer's router, + selective attention heads per token (heads_k)",
            (layer, config, rng, options, _) => UoeFeedForward.Create(layer, config, rng, options)),
    };

    /// <summary>The block kinds, sorted.</summary>
    public static IReadOnlyCollection<string> Names => s_entries.Keys;

    /// <summary>One line describing block kind <paramref name="name"/>, or null when unknown.</summary>
    public static string? Summary(string name) => s_entries.TryGetValue(name, out var e) ? e.Summary : null;

    /// <summary>Builds the MoE block of layer <paramref name="layer"/> of <paramref name="config"/> (its <c>switchyard.block</c>, default <see cref="Default"/>).</summary>
    /// <exception cref="InvalidConfigException">The block kind is unknown (the message lists the kinds), or its options are invalid.</exception>
    public static FeedForwardBlock Create(int layer, ModelConfig config, Rng rng, ReadOnlyMemory<long> tokenCounts = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        string name = config.Switchyard?.Block ?? Default;
        if (!s_entries.TryGetValue(name, out var entry))
            throw new InvalidConfigException(null, "switchyard.block", $"one of {string.Join(", ", s_entries.Keys.Select(n => $"\"{n}\""))}", $"\"{name}\"");
        return entry.Build(layer, config, rng, config.Switchyard?.BlockOptions, tokenCounts);
    }
}
