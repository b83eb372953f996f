using Switchyard.Routing.Balancers;
using Switchyard.Routing.Scorers;
using Switchyard.Routing.Selectors;

namespace Switchyard.Routing.Catalog;

/// <summary>
/// The two Duo-LLM routers (arXiv 2410.10846) over the slots of a duo layer: the true experts (big, small)
/// followed, when skip is allowed, by one null expert, the skip slot (never dispatched: the residual passes
/// the token through). Outside the <c>duo</c> block they route any E true experts the same way.
/// </summary>
internal static class DuoSlots
{
    public static Router Random(RouterSetup s, DuoRandomRouterOptions o)
    {
        int slots = s.Experts + (o.Skip ? 1 : 0);
        var weights = new float[slots];
        if (o.BigFraction > 0 && slots > 1)
        {
            weights[0] = o.BigFraction;
            for (int i = 1; i < slots; i++) weights[i] = (1 - o.BigFraction) / (slots - 1);
        }
        else weights.AsSpan().Fill(1f);
        return new Router(new UniformScorer(slots), new SlotRandomSelector(weights)) { NullExperts = o.Skip ? 1 : 0 };
    }

    public static Router Trained(RouterSetup s, DuoRouterOptions o)
    {
        float[] costs = Costs(s, o);
        var selector = new StraightThroughSelector(new TopKSelector(1));
        return new Router(new LinearScorer(s.ModelDim, costs.Length, s.Rng), selector, new BudgetPenalty(costs, o.Budget, o.Lambda, o.LambdaRate))
        {
            NullExperts = o.Skip ? 1 : 0,
        };
    }

    public static (string Option, string Why)? CheckCosts(RouterSetup s, DuoRouterOptions o)
    {
        float[] costs = Costs(s, o);
        return o.Budget > costs.Max() ? ("budget", $"= {o.Budget} must be ≤ the largest slot cost {costs.Max()}") : null;
    }

    // Slot costs: the block's (true experts, then skip), or 1 per true expert and 0 for skip.
    static float[] Costs(RouterSetup s, DuoRouterOptions o)
    {
        int slots = s.Experts + (o.Skip ? 1 : 0);
        if (o.SlotCosts.Count > 0)
            return o.SlotCosts.Count == slots ? [.. o.SlotCosts]
                : throw new ArgumentException($"{o.SlotCosts.Count} slot costs for {slots} slots ({s.Experts} experts{(o.Skip ? " + skip" : "")})", nameof(o));
        var costs = new float[slots];
        costs.AsSpan(0, s.Experts).Fill(1f);
        return costs;
    }
}
