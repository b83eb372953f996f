namespace Switchyard.Routing;

/// <summary>How a scorer's logits become the probabilities (affinities) that selectors rank and gates read.</summary>
public enum GateActivation
{
    /// <summary>Softmax over experts: a distribution per item (Switch, GShard, Mixtral, expert choice).</summary>
    Softmax,

    /// <summary>Elementwise sigmoid: independent affinities in (0, 1) (DeepSeek-V3).</summary>
    Sigmoid,

    /// <summary>The scores are used as they are (hash routing's one-hot scores; custom scorers).</summary>
    None,
}
