using System.Text.Json;

namespace Switchyard.Models;

/// <summary>
/// <c>block_options</c> of the <c>chain</c> block (Chain-of-Experts, arXiv 2506.18945):
/// <c>{ "iterations": 2, "residual": "inner", "shared_gate": false }</c>. The defaults are the paper's CoE-2 with
/// the inner residual and an independent gate per iteration; k and the router come from the config as for <c>moe</c>.
/// </summary>
public sealed record ChainedMoeOptions
{
    /// <summary>What <c>block_options</c> accepts, for error messages.</summary>
    public const string Valid = "an object with \"iterations\" (integer ≥ 1, default 2), \"residual\" (\"inner\" | \"outer\", default \"inner\"), \"shared_gate\" (true | false, default false)";

    /// <summary>Routing passes C through the shared expert pool.</summary>
    public int Iterations { get; init; } = 2;

    /// <summary>I_r = 1: each iteration adds its input back (the paper); false: one residual after the loop (ablation).</summary>
    public bool InnerResidual { get; init; } = true;

    /// <summary>One gate for every iteration (ablation; the paper's default is one gate per iteration).</summary>
    public bool SharedGate { get; init; }

    /// <summary>Reads <paramref name="options"/> (null: the defaults).</summary>
    /// <exception cref="InvalidConfigException">Not an object, an unknown key, or a value of the wrong type or range; names <c>switchyard.block_options.FIELD</c>.</exception>
    public static ChainedMoeOptions Parse(JsonElement? options)
    {
        var o = new ChainedMoeOptions();
        if (options is not { } json || json.ValueKind == JsonValueKind.Null) return o;
        if (json.ValueKind != JsonValueKind.Object) throw new InvalidConfigException(null, "switchyard.block_options", Valid, json.GetRawText());
        foreach (JsonProperty p in json.EnumerateObject())
        {
            string field = "switchyard.block_options." + p.Name;
            JsonElement v = p.Value;
            o = p.Name switch
            {
                "iterations" => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int c) && c >= 1 ? o with { Iterations = c }
                    : throw new InvalidConfigException(null, field, "an integer ≥ 1", v.GetRawText()),
                "residual" => v.ValueKind == JsonValueKind.String && v.GetString() is "inner" or "outer" ? o with { InnerResidual = v.GetString() == "inner" }
                    : throw new InvalidConfigException(null, field, "\"inner\" or \"outer\"", v.GetRawText()),
                "shared_gate" => v.ValueKind is JsonValueKind.True or JsonValueKind.False ? o with { SharedGate = v.GetBoolean() }
                    : throw new InvalidConfigException(null, field, "true or false", v.GetRawText()),
                _ => throw new InvalidConfigException(null, field, $"no such option; {Valid}", $"\"{p.Name}\""),
            };
        }
        return o;
    }
}
