using Switchyard.Tensors;

namespace Switchyard.Nn.Optim;

/// <summary>
/// Splits an elementwise update over all managed parameters, viewed as one concatenated
/// vector, into static parts for <see cref="ParallelRunner"/>. The update of an element
/// depends only on that element, and the kernels give the same bits on their vector and
/// scalar paths, so results do not depend on the number of parts. One instance per
/// optimizer, reused every step: dispatch allocates nothing.
/// </summary>
internal sealed class ElementwiseUpdateJob : IParallelJob
{
    /// <summary>Updates below this many elements run on the calling thread.</summary>
    const long ParallelThreshold = 1 << 16;

    /// <summary>Least elements per part once parallel.</summary>
    const long MinPerPart = 1 << 15;

    readonly long[] _starts;
    readonly Action<int, int, int> _apply;

    /// <param name="lengths">Element count of each parameter, in update order.</param>
    /// <param name="apply">Updates elements [start, start + length) of parameter index.</param>
    public ElementwiseUpdateJob(IReadOnlyList<int> lengths, Action<int, int, int> apply)
    {
        _starts = new long[lengths.Count + 1];
        for (int i = 0; i < lengths.Count; i++) _starts[i + 1] = _starts[i] + lengths[i];
        _apply = apply;
    }

    /// <summary>Total elements.</summary>
    public long Total => _starts[^1];

    /// <summary>Runs the update over every element with the current thread count.</summary>
    public void Run()
    {
        long total = Total;
        int parts = total < ParallelThreshold ? 1 : (int)Math.Clamp(total / MinPerPart, 1, ParallelRunner.Threads);
        ParallelRunner.Run(this, parts);
    }

    /// <inheritdoc/>
    public void Execute(int part, int parts)
    {
        long lo = Bound(part, parts), hi = Bound(part + 1, parts);
        if (hi <= lo) return;
        int i = 0;
        while (_starts[i + 1] <= lo) i++;
        for (; i < _starts.Length - 1 && _starts[i] < hi; i++)
        {
            long s = Math.Max(lo, _starts[i]), e = Math.Min(hi, _starts[i + 1]);
            if (e > s) _apply(i, (int)(s - _starts[i]), (int)(e - s));
        }
    }

    // Part boundaries on 16-element multiples keep vector loops aligned with the buffers.
    long Bound(int part, int parts) => part >= parts ? Total : (Total * part / parts) & ~15L;
}
