using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Tensors;

public class TensorArenaTests
{
    static void Step(TensorArena arena)
    {
        for (int i = 0; i < 50; i++)
        {
            var t = arena.Allocate(new Shape(17, 33));
            t.Span[0] = i;
            arena.View(t, new Shape(33, 17));
        }
        arena.Reset();
    }

    [Fact]
    public void Allocate_SteadyState_AllocatesNoManagedBytes()
    {
        var arena = new TensorArena(minSlabFloats: 4096);
        Step(arena); Step(arena); // warm-up sizes the slabs and the tensor pool
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 10; i++) Step(arena);
        }, repeats: 1));
    }

    [Fact]
    public void Allocate_ZeroTrue_ReturnsZeroedStorageAfterReuse()
    {
        var arena = new TensorArena(4096);
        arena.Allocate(new Shape(100)).Span.Fill(3f);
        arena.Reset();
        var t = arena.Allocate(new Shape(100));
        foreach (float v in t.Span) Assert.Equal(0f, v);
    }

    [Fact]
    public void Allocate_DistinctTensors_DoNotOverlap()
    {
        var arena = new TensorArena(1024);
        var a = arena.Allocate(new Shape(1000));
        var b = arena.Allocate(new Shape(1000));
        a.Span.Fill(1f);
        b.Span.Fill(2f);
        Assert.All(a.ToArray(), v => Assert.Equal(1f, v));
    }
}
