using Switchyard.Data;
using Switchyard.Routing;
using Switchyard.Routing.Pools;
using Switchyard.Tensors;

namespace Switchyard.Tests.Routing.Pools;

public sealed class ModalityPoolsTests
{
    [Fact]
    public void Layout_IntraPoolsInModalityOrder_SharedLast()
    {
        var pools = new ModalityPools(LabelSet.Modalities, [3, 3], 2);
        Assert.Equal(8, pools.Experts);
        Assert.Equal((0, 3), pools.Intra(0));
        Assert.Equal((3, 3), pools.Intra(1));
        Assert.Equal([0, 1, 2, 6, 7], Enumerable.Range(0, 8).Where(e => pools.Allows(0, e)).ToArray());
        Assert.Equal([3, 4, 5, 6, 7], Enumerable.Range(0, 8).Where(e => pools.Allows(1, e)).ToArray());
        Assert.Equal(5, pools.AllowedCount(1));
    }

    [Fact]
    public void PoolOf_InputSource_ReadsThePreviousPositionsId_PerSequence()
    {
        // Two sequences of 3: the second switches to task at its middle position (as a target)
        var pools = new ModalityPools(LabelSet.Modalities, [1, 1], 1);
        var context = new RoutingContext(new Rng(1)) { ModalityIds = new[] { 1, 1, 1, 0, 1, 1 }, SequenceLength = 3 };
        Assert.Equal([1, 1, 1, 0, 0, 1], Enumerable.Range(0, 6).Select(i => pools.PoolOf(context, i)).ToArray());
        var target = new ModalityPools(LabelSet.Modalities, [1, 1], 1, source: SideIdSource.Target);
        Assert.Equal([1, 1, 1, 0, 1, 1], Enumerable.Range(0, 6).Select(i => target.PoolOf(context, i)).ToArray());
    }

    [Fact]
    public void PoolOf_NoIdsOrNegative_IsTheUnlabelledModality()
    {
        var pools = new ModalityPools(LabelSet.Modalities, [1, 1], 1, unlabelled: 1, source: SideIdSource.Target);
        Assert.Equal(1, pools.PoolOf(new RoutingContext(new Rng(1)), 0));
        Assert.Equal(1, pools.PoolOf(new RoutingContext(new Rng(1)) { ModalityIds = new[] { 0, -1, 7 } }, 1));
        Assert.Equal(1, pools.PoolOf(new RoutingContext(new Rng(1)) { ModalityIds = new[] { 0, -1, 7 } }, 2));
        Assert.Equal(0, pools.PoolOf(new RoutingContext(new Rng(1)) { ModalityIds = new[] { 0, -1, 7 } }, 0));
    }

    [Fact]
    public void Create_ModalityWithoutAnyExpert_Throws()
    {
        Assert.Throws<ArgumentException>(() => new ModalityPools(LabelSet.Modalities, [0, 2], 0));
        Assert.Throws<ArgumentException>(() => new ModalityPools(LabelSet.Modalities, [1, 1], 1, unlabelled: 2));
    }

    [Fact]
    public void RoleSplit_HardRoleToTheLastExperts_UnlabelledRouted()
    {
        var pools = new RoleSplitPools(5, 2, hardRole: LabelSet.PromptRole, source: SideIdSource.Target);
        var context = new RoutingContext(new Rng(1)) { TokenRoles = new[] { LabelSet.PromptRole, LabelSet.AnswerRole, -1 } };
        Assert.Equal([1, 0, 0], Enumerable.Range(0, 3).Select(i => pools.PoolOf(context, i)).ToArray());
        Assert.Equal([3, 4], Enumerable.Range(0, 5).Where(e => pools.Allows(1, e)).ToArray());
        Assert.Equal([0, 1, 2], Enumerable.Range(0, 5).Where(e => pools.Allows(0, e)).ToArray());
        Assert.Throws<ArgumentException>(() => new RoleSplitPools(2, 2, hardRole: 1));
        Assert.Equal(1, new RoleSplitPools(2, 0, hardRole: -1).Pools);
    }
}
