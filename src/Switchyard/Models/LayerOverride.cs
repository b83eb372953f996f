using System.Text.Json;

namespace Switchyard.Models;

/// <summary>
/// A per-layer entry of the <c>switchyard.layers</c> extension: forces a layer dense or MoE and/or
/// gives it its own router, e.g. <c>{"index": 0, "kind": "dense"}</c> or
/// <c>{"index": 3, "router": "hash", "router_options": {"seed": 1}}</c>.
/// </summary>
/// <param name="Index">The layer (0-based).</param>
/// <param name="Kind">Forced feed-forward kind, or null for the architecture's rule.</param>
/// <param name="Router">Router catalog name for this layer, or null for <see cref="SwitchyardOptions.Router"/>.</param>
/// <param name="RouterOptions">Options object for that router (interpreted by the Routing layer), or null.</param>
public sealed record LayerOverride(int Index, FeedForwardKind? Kind = null, string? Router = null, JsonElement? RouterOptions = null);
