using System.Text.Json;

namespace Switchyard.Models;

/// <summary>
/// The <c>"switchyard"</c> object of a <c>config.json</c>: what Hugging Face has no field for.
/// Transformers ignores it (unknown keys become plain attributes), so a file carrying it still
/// loads there.
/// </summary>
/// <remarks>
/// <code>
/// "switchyard": {
///   "router": "top-k",                       // router catalog name for every MoE layer
///   "router_options": { "k": 2 },            // passed to the catalog factory as is
///   "qk_norm": "per_head",                   // none | per_head | full: overrides the architecture's
///   "block": "moe",                          // MoE block kind of MoE layers (MoeBlockCatalog)
///   "block_options": { },                    // passed to that block's builder as is
///   "layers": [ { "index": 0, "kind": "dense" }, { "index": 2, "router": "hash" } ]
/// }
/// </code>
/// Unknown keys inside it are kept and written back.
/// </remarks>
public sealed record SwitchyardOptions
{
    /// <summary>Router catalog name for MoE layers without an override (null: the architecture's softmax top-k).</summary>
    public string? Router { get; init; }

    /// <summary>Options object for <see cref="Router"/>, or null.</summary>
    public JsonElement? RouterOptions { get; init; }

    /// <summary>MoE block kind (<see cref="MoeBlockCatalog"/>) of the MoE layers, or null for <see cref="MoeBlockCatalog.Default"/>.</summary>
    public string? Block { get; init; }

    /// <summary>Options object for <see cref="Block"/> (interpreted by that block's builder), or null.</summary>
    public JsonElement? BlockOptions { get; init; }

    /// <summary>Explicit q/k norm, or null for the architecture's.</summary>
    public QkNormKind? QkNorm { get; init; }

    /// <summary>Per-layer overrides, at most one per index.</summary>
    public IReadOnlyList<LayerOverride> Layers { get; init; } = [];

    /// <summary>Keys of the object this version does not know, kept verbatim for writing back.</summary>
    public IReadOnlyDictionary<string, JsonElement> UnknownFields { get; init; } = new Dictionary<string, JsonElement>();
}
