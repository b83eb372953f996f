using Switchyard.Models;

namespace Switchyard.Training.Adaptation;

/// <summary>
/// Settings of a <see cref="TestTimeAdapter"/>. The defaults are the spec's suggestions (shared/specs/token-routers.md §17a):
/// they were <b>not verified</b> against the paper (arXiv 2510.14853), which is why each is an option.
/// </summary>
public sealed record TestTimeAdapterOptions
{
    /// <summary>Adam steps per adaptation round (unverified default 3).</summary>
    public int Steps { get; init; } = 3;

    /// <summary>Adam learning rate η (unverified default 1e-2).</summary>
    public double LearningRate { get; init; } = 1e-2;

    /// <summary>Tokens generated (or teacher-forced) with δ fixed between two rounds, N (unverified default 64).</summary>
    public int Interval { get; init; } = 64;

    /// <summary>Layers that get an offset: the MoE layers of highest mean routing entropy on the prompt, |L_sel| (unverified default 4; all when fewer).</summary>
    public int Layers { get; init; } = 4;

    /// <summary>Explicit decoder-layer indices for the offsets instead of the entropy rule; empty = the rule.</summary>
    public IReadOnlyList<int> LayerIndices { get; init; } = [];

    /// <summary>L2 penalty λ·Σ_l ‖δ_l‖² added to the context's loss: keeps δ small on short prompts (unverified default 1e-3).</summary>
    public double L2 { get; init; } = 1e-3;

    /// <summary>What the cached states of processed tokens do when δ changes (<see cref="KvCachePolicy.Recompute"/> by default).</summary>
    public KvCachePolicy Cache { get; init; } = KvCachePolicy.Recompute;

    /// <summary>What is tuned: offsets (the method) or the routers' weights (the comparison).</summary>
    public AdaptationScope Scope { get; init; } = AdaptationScope.Offsets;

    /// <summary>The option names as <see cref="Validate"/> reports them, with their ranges.</summary>
    public const string Valid = "steps (int ≥ 0), learning_rate (> 0), interval (int ≥ 1), layers (int ≥ 1), layer_indices (MoE layer indices), l2 (≥ 0), cache (recompute|stale), scope (offsets|routers)";

    /// <summary>Throws for an option out of range.</summary>
    /// <exception cref="InvalidConfigException">One message naming the option, what it must be and every valid option.</exception>
    public void Validate()
    {
        if (Steps < 0) throw Bad("steps", "an integer ≥ 0", Steps.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw Bad("learning_rate", "a finite number > 0", LearningRate.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (Interval < 1) throw Bad("interval", "an integer ≥ 1", Interval.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (Layers < 1) throw Bad("layers", "an integer ≥ 1", Layers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!(L2 >= 0) || !double.IsFinite(L2)) throw Bad("l2", "a finite number ≥ 0", L2.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!Enum.IsDefined(Cache)) throw Bad("cache", "recompute or stale", Cache.ToString());
        if (!Enum.IsDefined(Scope)) throw Bad("scope", "offsets or routers", Scope.ToString());
    }

    internal static InvalidConfigException Bad(string field, string expected, string found) =>
        new(null, "test_time." + field, $"{expected} (valid options: {Valid})", found);
}
