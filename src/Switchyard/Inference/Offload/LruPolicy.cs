namespace Switchyard.Inference;

/// <summary>Least recently used: evicts the resident expert whose last request is oldest.</summary>
public sealed class LruPolicy : IExpertCachePolicy
{
    long[] _lastUse = [];
    long _clock;

    /// <inheritdoc/>
    public string Name => "lru";

    /// <inheritdoc/>
    public void Initialize(int slots)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        _lastUse = new long[slots];
        _clock = 0;
    }

    /// <inheritdoc/>
    public void Accessed(int slot, ExpertKey key, bool filled) => _lastUse[slot] = ++_clock;

    /// <inheritdoc/>
    public int ChooseVictim(ReadOnlySpan<bool> evictable, ExpertKey incoming)
    {
        int victim = -1;
        for (int s = 0; s < _lastUse.Length; s++)
            if (evictable[s] && (victim < 0 || _lastUse[s] < _lastUse[victim])) victim = s;
        return victim >= 0 ? victim : throw new InvalidOperationException("no evictable slot");
    }
}
