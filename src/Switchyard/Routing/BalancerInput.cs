using Switchyard.Autograd;

namespace Switchyard.Routing;

/// <summary>What a balancer sees of one routing call: logits, probabilities (both tape Vars), the finished plan and the context.</summary>
/// <param name="Logits">The scorer's output [N, E].</param>
/// <param name="Probabilities">The activation of the logits [N, E] (softmax, sigmoid, or the logits themselves).</param>
/// <param name="Plan">The finished plan.</param>
/// <param name="Context">The routing context.</param>
/// <param name="Selector">The selector that made the plan.</param>
public readonly record struct BalancerInput(Var Logits, Var Probabilities, RoutingPlan Plan, RoutingContext Context, ISelector Selector);
