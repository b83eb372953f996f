namespace Switchyard.Inference;

/// <summary>
/// Least frequently used: evicts the resident expert requested least often, ties broken by recency
/// (the least recently used of them). Counts cover the whole history, evicted periods included, so the
/// cache converges on the experts the router favours overall (a static-frequency cache learned online)
/// instead of forgetting an expert's popularity each time it is evicted.
/// </summary>
public sealed class LfuPolicy : IExpertCachePolicy
{
    readonly Dictionary<ExpertKey, long> _counts = [];
    long[] _slotCount = [];
    long[] _lastUse = [];
    long _clock;

    /// <inheritdoc/>
    public string Name => "lfu";

    /// <inheritdoc/>
    public void Initialize(int slots)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        _counts.Clear();
        _slotCount = new long[slots];
        _lastUse = new long[slots];
        _clock = 0;
    }

    /// <inheritdoc/>
    public void Accessed(int slot, ExpertKey key, bool filled)
    {
        ref long count = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_counts, key, out _);
        count++;
        _slotCount[slot] = count;
        _lastUse[slot] = ++_clock;
    }

    /// <inheritdoc/>
    public int ChooseVictim(ReadOnlySpan<bool> evictable, ExpertKey incoming)
    {
        int victim = -1;
        for (int s = 0; s < _slotCount.Length; s++)
        {
            if (!evictable[s]) continue;
            if (victim < 0 || _slotCount[s] < _slotCount[victim]
                || (_slotCount[s] == _slotCount[victim] && _lastUse[s] < _lastUse[victim])) victim = s;
        }
        return victim >= 0 ? victim : throw new InvalidOperationException("no evictable slot");
    }
}
