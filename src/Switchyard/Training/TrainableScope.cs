namespace Switchyard.Training;

/// <summary>Which parameters a run's optimizer updates (<c>"trainable"</c> in a recipe); the rest stay frozen.</summary>
public enum TrainableScope
{
    /// <summary>Every parameter (the default).</summary>
    All,

    /// <summary>Only the routers' own parameters (each routed layer's <c>gate</c>): router-only post-training (RoMA).</summary>
    Routers,

    /// <summary>Only the MoE blocks (routers and experts): up-cycling with the rest of the model frozen (MoTE).</summary>
    Moe,
}
