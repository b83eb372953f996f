using Switchyard.Routing;

namespace Switchyard.Tests.Routing;

public class RoutingPlanTests
{
    [Fact]
    public void Finish_AddsInAnyOrder_GroupsByExpertWithItemsAscending()
    {
        // Given assignments added expert-first (as expert choice does)
        var plan = new RoutingPlan();
        plan.Begin(items: 4, experts: 3);
        plan.Add(3, 2, 0.1f); plan.Add(0, 2, 0.2f); plan.Add(2, 0, 0.3f); plan.Add(0, 0, 0.4f); plan.Add(1, 1, 0.5f);

        // When
        plan.Finish();

        // Then groups are by expert, items ascending, and per-item slots list experts ascending
        Assert.Equal([0, 2, 3, 5], plan.Offsets.ToArray());
        Assert.Equal([0, 2, 1, 0, 3], plan.Item.ToArray());
        Assert.Equal([0, 0, 1, 2, 2], plan.Expert.ToArray());
        Assert.Equal([0, 2, 3, 4, 5], plan.ItemOffsets.ToArray());
        Assert.Equal([0, 3, 2, 1, 4], plan.ItemSlot.ToArray());
        Assert.Equal(0, plan.DroppedCount);
    }

    [Fact]
    public void Finish_SamePairTwice_Throws()
    {
        var plan = new RoutingPlan();
        plan.Begin(2, 2);
        plan.Add(1, 0, 1f); plan.Add(1, 0, 1f);
        Assert.Throws<InvalidOperationException>(plan.Finish);
    }

    [Fact]
    public void Finish_CapacityByPosition_FirstChoicesBeforeSecondThenEarlierItems()
    {
        // Given 3 items that all pick expert 0 — item 0 as its second choice — and capacity 2
        var plan = new RoutingPlan();
        plan.Begin(3, 2);
        plan.Add(0, 1, 0.9f); plan.Add(0, 0, 0.1f);
        plan.Add(1, 0, 0.6f);
        plan.Add(2, 0, 0.7f);
        plan.SetCapacity(2, DropPolicy.Position);

        plan.Finish();

        // Then expert 0 keeps the first choices of items 1 and 2; item 0's second choice is dropped
        Assert.Equal([1, 2, 0], plan.Item.ToArray());
        Assert.Equal([0], plan.DroppedItem.ToArray());
        Assert.Equal([0], plan.DroppedExpert.ToArray());
        Assert.Equal(4, plan.SelectedCount);
    }

    [Fact]
    public void Finish_CapacityByScore_KeepsHighestThenEarlierOnTies()
    {
        var plan = new RoutingPlan();
        plan.Begin(4, 1);
        plan.Add(0, 0, 0.2f); plan.Add(1, 0, 0.5f); plan.Add(2, 0, 0.2f); plan.Add(3, 0, 0.9f);
        plan.SetCapacity(3, DropPolicy.Score);

        plan.Finish();

        Assert.Equal([0, 1, 3], plan.Item.ToArray());
        Assert.Equal([2], plan.DroppedItem.ToArray());
        Assert.Equal(0, plan.ExpertsOf(2));
    }

    [Fact]
    public void Replace_ForcedItem_OverridesSelection()
    {
        var plan = new RoutingPlan();
        plan.Begin(2, 4);
        plan.Add(0, 1, 0.5f); plan.Add(0, 2, 0.4f); plan.Add(1, 3, 0.9f);
        plan.Replace(0, [3]);
        plan.Finish();
        Assert.Equal([0, 1], plan.Item.ToArray());
        Assert.Equal([3, 3], plan.Expert.ToArray());
    }

    [Fact]
    public void Add_OutOfRange_Throws()
    {
        var plan = new RoutingPlan();
        plan.Begin(2, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => plan.Add(2, 0, 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => plan.Add(0, -1, 1f));
    }

    [Fact]
    public void SetWeights_WithoutTape_FillsWeightAndClearsGates()
    {
        var plan = new RoutingPlan();
        plan.Begin(2, 2);
        Assert.Throws<InvalidOperationException>(() => plan.SetWeights([1f]));
        plan.Add(0, 1, 1f); plan.Add(1, 0, 1f);
        plan.Finish();
        plan.SetWeights([0.25f, 0.75f]);
        Assert.Equal([0.25f, 0.75f], plan.Weight.ToArray());
        Assert.Null(plan.Gates);
        Assert.Throws<ArgumentException>(() => plan.SetWeights([1f]));
    }
}
