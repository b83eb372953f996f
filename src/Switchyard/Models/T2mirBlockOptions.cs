using System.Text.Json;

namespace Switchyard.Models;

/// <summary>
/// <c>block_options</c> of the <c>t2mir</c> block (<see cref="T2mirFeedForward"/>): both MoEs' sizes, which branches
/// run, and the coefficients. Defaults are T2MIR's reference config (<c>cheetah_vel</c>: token-wise E = 6, k = 2,
/// task-wise E = 8, k = 2, expert widths 1536 : 2048, balance 0.01 on the token MoE only, contrastive 0.01, τ = 0.005),
/// widths scaled to the model: a width of 0 means the config's expert width F (token) and F·4/3 (task).
/// </summary>
public sealed record T2mirBlockOptions
{
    /// <summary>Token-wise experts.</summary>
    public int TokenExperts { get; init; } = 6;

    /// <summary>Token-wise experts per token.</summary>
    public int TokenK { get; init; } = 2;

    /// <summary>Token-wise expert width (0 = the config's expert width).</summary>
    public int TokenWidth { get; init; }

    /// <summary>Task-wise experts.</summary>
    public int TaskExperts { get; init; } = 8;

    /// <summary>Task-wise experts per token.</summary>
    public int TaskK { get; init; } = 2;

    /// <summary>Task-wise expert width (0 = 4/3 of the config's expert width, the reference's 2048 : 1536).</summary>
    public int TaskWidth { get; init; }

    /// <summary>Which branches run: <c>both</c> (T2MIR), <c>token</c> or <c>task</c> (the single-branch ablations).</summary>
    public string Branches { get; init; } = "both";

    /// <summary>Coefficient of the CV² balance loss on the token MoE.</summary>
    public float CvAlpha { get; init; } = 0.01f;

    /// <summary>Coefficient of the CV² balance loss on the task MoE (reference: not applied).</summary>
    public float TaskCvAlpha { get; init; }

    /// <summary>Coefficient of the task router's contrastive loss (0 = off: the "without contrastive" ablation).</summary>
    public float ContrastiveAlpha { get; init; } = 0.01f;

    /// <summary>EMA rate τ of the target task gate.</summary>
    public float Tau { get; init; } = 0.005f;

    /// <summary>Noisy top-k gating in training, both gates.</summary>
    public bool Noisy { get; init; } = true;

    static readonly string[] s_fields =
        ["token_experts", "token_k", "token_width", "task_experts", "task_k", "task_width", "branches", "cv_alpha", "task_cv_alpha", "contrastive_alpha", "tau", "noisy"];

    /// <summary>Reads <c>block_options</c> (null = defaults).</summary>
    /// <exception cref="InvalidConfigException">An unknown field, a wrong type or an out-of-range value (the message lists the valid fields).</exception>
    public static T2mirBlockOptions Parse(JsonElement? options)
    {
        var o = new T2mirBlockOptions();
        if (options is not { } json || json.ValueKind == JsonValueKind.Null) return o;
        if (json.ValueKind != JsonValueKind.Object) throw Bad("", "an object", json.GetRawText());
        foreach (JsonProperty p in json.EnumerateObject())
        {
            JsonElement v = p.Value;
            o = p.Name switch
            {
                "token_experts" => o with { TokenExperts = Int(p, 2) },
                "token_k" => o with { TokenK = Int(p, 1) },
                "token_width" => o with { TokenWidth = Int(p, 0) },
                "task_experts" => o with { TaskExperts = Int(p, 2) },
                "task_k" => o with { TaskK = Int(p, 1) },
                "task_width" => o with { TaskWidth = Int(p, 0) },
                "branches" => o with { Branches = v.ValueKind == JsonValueKind.String && v.GetString() is "both" or "token" or "task" ? v.GetString()! : throw Bad(p.Name, "\"both\", \"token\" or \"task\"", v.GetRawText()) },
                "cv_alpha" => o with { CvAlpha = Float(p, 0, false) },
                "task_cv_alpha" => o with { TaskCvAlpha = Float(p, 0, false) },
                "contrastive_alpha" => o with { ContrastiveAlpha = Float(p, 0, false) },
                "tau" => o with { Tau = Float(p, 0, true, 1) },
                "noisy" => o with { Noisy = v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw Bad(p.Name, "true or false", v.GetRawText()) },
                _ => throw Bad(p.Name, $"one of the fields {string.Join(", ", s_fields)}", "an unknown field"),
            };
        }
        if (o.TokenK > o.TokenExperts) throw Bad("token_k", $"≤ token_experts = {o.TokenExperts}", o.TokenK.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (o.TaskK > o.TaskExperts) throw Bad("task_k", $"≤ task_experts = {o.TaskExperts}", o.TaskK.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return o;
    }

    static int Int(JsonProperty p, int min) =>
        p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out int v) && v >= min ? v : throw Bad(p.Name, $"an integer ≥ {min}", p.Value.GetRawText());

    static float Float(JsonProperty p, double min, bool minExclusive, double max = double.PositiveInfinity) =>
        p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetDouble(out double v) && (minExclusive ? v > min : v >= min) && v <= max
            ? (float)v : throw Bad(p.Name, $"a number {(minExclusive ? ">" : "≥")} {min}{(double.IsFinite(max) ? $" and ≤ {max}" : "")}", p.Value.GetRawText());

    static InvalidConfigException Bad(string field, string expected, string found) =>
        new(null, field.Length == 0 ? "switchyard.block_options" : "switchyard.block_options." + field, expected, found);
}
