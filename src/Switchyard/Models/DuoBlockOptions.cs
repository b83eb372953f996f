using System.Globalization;
using System.Text.Json;

namespace Switchyard.Models;

/// <summary>
/// Options of the <c>duo</c> MoE block (<c>"switchyard": { "block": "duo", "block_options": { … } }</c>;
/// Duo-LLM, arXiv 2410.10846): a big SwiGLU FFN, a small one and optionally a skip slot per layer.
/// <code>
/// { "big_width": 512, "small_width": 64, "skip": true, "costs": [1, 0.125, 0] }
/// </code>
/// </summary>
/// <param name="BigWidth">Inner width F of the big FFN (default: the config's expert width).</param>
/// <param name="SmallWidth">Inner width of the small FFN (default F/8, the spec's 512 → 64).</param>
/// <param name="Skip">Whether tokens may skip the layer (a third slot: a null expert).</param>
/// <param name="Costs">Cost weight per slot (big, small, skip when allowed) for the router's budget penalty (default: FLOPs ratio to big, skip 0).</param>
public sealed record DuoBlockOptions(int BigWidth, int SmallWidth, bool Skip, IReadOnlyList<float> Costs)
{
    /// <summary>The option names, for error messages.</summary>
    public const string Known = "big_width, small_width, skip, costs";

    /// <summary>Number of routing slots: big, small and skip when allowed.</summary>
    public int Slots => Skip ? 3 : 2;

    /// <summary>Reads the options object (null = every default) against <paramref name="config"/>.</summary>
    /// <exception cref="InvalidConfigException">An unknown field, a wrong type or a value out of range (names <c>switchyard.block_options.FIELD</c>).</exception>
    public static DuoBlockOptions Parse(JsonElement? options, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        const string at = "switchyard.block_options";
        int big = config.ExpertIntermediateSize, small = 0;
        bool skip = true;
        float[]? costs = null;
        if (options is { } o)
        {
            if (o.ValueKind != JsonValueKind.Object) throw new InvalidConfigException(null, at, $"an object with {Known}", o.GetRawText());
            foreach (JsonProperty p in o.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "big_width": big = Width(p); break;
                    case "small_width": small = Width(p); break;
                    case "skip":
                        skip = p.Value.ValueKind is JsonValueKind.True or JsonValueKind.False ? p.Value.GetBoolean()
                            : throw new InvalidConfigException(null, $"{at}.skip", "true or false", p.Value.GetRawText());
                        break;
                    case "costs":
                        costs = p.Value.ValueKind == JsonValueKind.Array
                            && p.Value.EnumerateArray().All(c => c.ValueKind == JsonValueKind.Number && c.GetDouble() >= 0 && double.IsFinite(c.GetDouble()))
                            ? [.. p.Value.EnumerateArray().Select(c => (float)c.GetDouble())]
                            : throw new InvalidConfigException(null, $"{at}.costs", "an array of non-negative numbers (big, small, skip)", p.Value.GetRawText());
                        break;
                    default: throw new InvalidConfigException(null, $"{at}.{p.Name}", $"one of the duo block's options: {Known}", $"'{p.Name}'");
                }
            }
        }
        if (big <= 0) throw new InvalidConfigException(null, $"{at}.big_width", "a positive width (the config's expert width is not positive)", big.ToString(CultureInfo.InvariantCulture));
        if (small == 0) small = Math.Max(1, big / 8);
        if (small > big) throw new InvalidConfigException(null, $"{at}.small_width", $"at most big_width = {big}", small.ToString(CultureInfo.InvariantCulture));
        costs ??= skip ? [1f, (float)small / big, 0f] : [1f, (float)small / big];
        if (costs.Length != (skip ? 3 : 2))
            throw new InvalidConfigException(null, $"{at}.costs", $"{(skip ? 3 : 2)} costs (big, small{(skip ? ", skip" : "")})", $"{costs.Length}");
        return new DuoBlockOptions(big, small, skip, costs);

        static int Width(JsonProperty p) =>
            p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out int w) && w > 0 ? w
                : throw new InvalidConfigException(null, $"{at}.{p.Name}", "a positive integer", p.Value.GetRawText());
    }
}
