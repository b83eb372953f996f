namespace Switchyard.Routing;

/// <summary>
/// Forced routing of every item in every layer to one slot each (Duo-LLM's oracle patterns, arXiv 2410.10846):
/// <see cref="Slots"/>[layer][item] is the slot item takes in that layer, a true expert or a null one (skip).
/// Replaces whatever the selector chose: the plan is rebuilt with one assignment per item, O(N) per layer.
/// Layers beyond the pattern are left to their routers.
/// </summary>
/// <remarks>An analysis tool: the patterns come from a search that reads the target tokens, never a router.</remarks>
public sealed class SlotPatternOverride : IRoutingOverride
{
    /// <summary>Creates an override with room for <paramref name="layers"/> layers (patterns are filled per layer by the caller).</summary>
    /// <exception cref="ArgumentOutOfRangeException">layers is negative.</exception>
    public SlotPatternOverride(int layers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layers);
        Slots = new int[layers][];
        for (int l = 0; l < layers; l++) Slots[l] = [];
    }

    /// <summary>Per layer, the slot of each item ([N] each; grown and filled by the caller).</summary>
    public int[][] Slots { get; }

    /// <summary>Sets every item of every layer to <paramref name="slot"/> for <paramref name="items"/> items.</summary>
    public void Fill(int items, int slot)
    {
        for (int l = 0; l < Slots.Length; l++)
        {
            if (Slots[l].Length != items) Slots[l] = new int[items];
            Array.Fill(Slots[l], slot);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The layer's pattern does not cover the plan's items.</exception>
    public void Apply(RoutingContext context, RoutingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(plan);
        if ((uint)context.Layer >= (uint)Slots.Length) return;
        int[] slots = Slots[context.Layer];
        if (slots.Length != plan.Items)
            throw new ArgumentException($"layer {context.Layer}: the pattern has {slots.Length} items, the plan {plan.Items}", nameof(plan));
        plan.Begin(plan.Items, plan.Experts, plan.NullExperts);
        for (int i = 0; i < slots.Length; i++) plan.Add(i, slots[i], float.PositiveInfinity);
    }
}
