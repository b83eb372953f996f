namespace Switchyard.Routing;

/// <summary>One auxiliary loss of a routing call: its raw value (before the coefficient) and the coefficient.</summary>
/// <param name="Name">The balancer's name (e.g. <c>load_balance</c>).</param>
/// <param name="Value">The loss before the coefficient.</param>
/// <param name="Coefficient">The coefficient it is multiplied by in the training loss.</param>
public readonly record struct AuxLossValue(string Name, float Value, float Coefficient);
