namespace Switchyard.Training.Adaptation;

/// <summary>What a <see cref="TestTimeAdapter"/> tunes on the context.</summary>
public enum AdaptationScope
{
    /// <summary>Only the logit offsets δ of the selected layers (test-time rerouting, the method).</summary>
    Offsets,

    /// <summary>Every router's own weights (each MoE layer's <c>gate</c>), no offsets: the full-router fine-tune on the context that the paper compares with.</summary>
    Routers,
}
