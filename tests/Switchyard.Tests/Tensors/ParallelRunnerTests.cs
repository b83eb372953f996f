using Switchyard.Tensors;

namespace Switchyard.Tests.Tensors;

public class ParallelRunnerTests
{
    sealed class SumJob : IParallelJob
    {
        public int[] Hits = new int[64];
        public void Execute(int part, int parts) => Interlocked.Increment(ref Hits[part]);
    }

    sealed class ThrowingJob : IParallelJob
    {
        public void Execute(int part, int parts)
        {
            if (part == parts - 1) throw new InvalidOperationException("part failed");
        }
    }

    [Fact]
    public void Run_ManyParts_RunsEachPartExactlyOnce()
    {
        var job = new SumJob();
        for (int r = 0; r < 100; r++) ParallelRunner.Run(job, 37);
        for (int p = 0; p < 37; p++) Assert.Equal(100, job.Hits[p]);
        Assert.Equal(0, job.Hits[37]);
    }

    [Fact]
    public void Run_PartThrows_RethrowsOnCaller() =>
        Assert.Throws<InvalidOperationException>(() => ParallelRunner.Run(new ThrowingJob(), 4));
}
