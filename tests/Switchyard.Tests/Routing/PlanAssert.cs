using Switchyard.Routing;

namespace Switchyard.Tests.Routing;

/// <summary>The RoutingPlan invariants every router must keep (docs/routing.md, "Invariants").</summary>
internal static class PlanAssert
{
    public static void Valid(RoutingPlan plan, ReadOnlySpan<float> probs, GateSpec gate)
    {
        int items = plan.Items, experts = plan.Experts, n = plan.Count, slots = plan.Slots;
        Assert.True(plan.IsFinished);
        ReadOnlySpan<int> off = plan.Offsets, item = plan.Item, expert = plan.Expert, io = plan.ItemOffsets, slot = plan.ItemSlot;
        ReadOnlySpan<float> w = plan.Weight;

        // Offsets: monotone from 0 to n; groups hold their expert with strictly ascending items (each pair once).
        Assert.Equal(0, off[0]);
        Assert.Equal(n, off[experts]);
        for (int e = 0; e < experts; e++)
        {
            Assert.True(off[e] <= off[e + 1], $"offsets not monotone at {e}");
            if (plan.Capacity > 0) Assert.True(off[e + 1] - off[e] <= plan.Capacity, $"expert {e} over capacity {plan.Capacity}");
            for (int j = off[e]; j < off[e + 1]; j++)
            {
                Assert.Equal(e, expert[j]);
                Assert.InRange(item[j], 0, items - 1);
                if (j > off[e]) Assert.True(item[j] > item[j - 1], $"expert {e}: items not strictly ascending");
            }
        }

        // Per-item slots: consistent with the groups, experts ascending, every slot exactly once.
        Assert.Equal(0, io[0]);
        Assert.Equal(n, io[items]);
        var seen = new bool[n];
        for (int i = 0; i < items; i++)
        {
            Assert.True(io[i] <= io[i + 1]);
            for (int m = io[i]; m < io[i + 1]; m++)
            {
                int j = slot[m];
                Assert.False(seen[j], $"slot {j} listed twice");
                seen[j] = true;
                Assert.Equal(i, item[j]);
                if (m > io[i]) Assert.True(expert[j] > expert[slot[m - 1]], $"item {i}: experts not ascending");
            }
        }
        Assert.DoesNotContain(false, seen);

        // Selected = kept ∪ dropped, disjoint.
        var kept = new HashSet<(int, int)>();
        for (int j = 0; j < n; j++) kept.Add((item[j], expert[j]));
        var dropped = new HashSet<(int, int)>();
        for (int d = 0; d < plan.DroppedCount; d++)
        {
            Assert.True(dropped.Add((plan.DroppedItem[d], plan.DroppedExpert[d])), "a drop recorded twice");
            Assert.DoesNotContain((plan.DroppedItem[d], plan.DroppedExpert[d]), kept);
        }
        if (plan.Capacity == 0) Assert.Equal(0, plan.DroppedCount);
        var selected = new HashSet<(int, int)>();
        for (int i = 0; i < items; i++)
            for (int m = plan.SelectedOffsets[i]; m < plan.SelectedOffsets[i + 1]; m++)
                Assert.True(selected.Add((i, plan.SelectedExpert[m])), "selected twice");
        Assert.Equal(plan.SelectedCount, n + plan.DroppedCount);
        Assert.True(selected.SetEquals(kept.Concat(dropped)));

        // Null experts never reach kept, selected or dropped arrays (checked above: ids < E); their counts agree.
        Assert.Equal(slots, experts + plan.NullExperts);
        int nullSum = 0;
        foreach (int c in plan.NullLoad) nullSum += c;
        Assert.Equal(plan.NullSelectedCount, nullSum);
        int perItem = 0;
        for (int i = 0; i < items; i++) perItem += plan.NullSelectedOf(i);
        Assert.Equal(plan.NullSelectedCount, perItem);
        for (int m = 0; m < plan.SelectedCount; m++) Assert.InRange(plan.SelectedExpert[m], 0, experts - 1);

        // Weights: finite, equal to the gate Var, and following the gate rule.
        Assert.NotNull(plan.Gates);
        Assert.Equal(w.ToArray(), plan.Gates!.Value.Span.ToArray());
        for (int j = 0; j < n; j++) Assert.True(float.IsFinite(w[j]), $"weight {j} = {w[j]}");
        for (int i = 0; i < items; i++)
        {
            int count = io[i + 1] - io[i];
            if (count == 0) continue;
            double sum = 0;
            for (int m = io[i]; m < io[i + 1]; m++)
            {
                int j = slot[m];
                sum += w[j];
                float p = probs[item[j] * slots + expert[j]];
                if (gate.Weighting == GateWeighting.Probability) Assert.Equal(gate.Scale * p, w[j], 1e-6f);
                if (gate.Weighting == GateWeighting.Constant) Assert.Equal(gate.Scale, w[j]);
            }
            bool lostOne = plan.SelectedOffsets[i + 1] - plan.SelectedOffsets[i] > count;
            if (gate.Weighting == GateWeighting.Normalized)
            {
                if (!lostOne || gate.RenormalizeAfterDrop) Assert.Equal(gate.Scale, sum, 1e-5 * (1 + gate.Scale));
                else Assert.True(sum <= gate.Scale * (1 + 1e-5), $"item {i}: kept weights {sum} exceed {gate.Scale}");
            }
        }
    }
}
