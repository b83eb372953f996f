namespace Switchyard.Inference;

/// <summary>
/// Belady's MIN, the offline optimum: evicts the resident expert whose next request lies farthest in
/// the future (or never comes). It needs the whole request sequence in advance, so it serves replays of a
/// recorded trace (<see cref="BeladyReplay"/>, <see cref="CacheSimulator"/>) or a rerun that repeats the
/// recorded requests exactly (greedy decoding of the same prompt). For equal-sized entries and demand
/// fetching it yields the fewest misses of any policy (Belady 1966; Mattson et al. 1970).
/// </summary>
public sealed class BeladyPolicy : IExpertCachePolicy
{
    readonly ExpertKey[] _trace;
    readonly int[] _nextUse; // position of the next request for the same key; int.MaxValue = never
    int[] _slotNext = [];
    int _position;

    /// <summary>A policy for replaying exactly <paramref name="trace"/>.</summary>
    public BeladyPolicy(IReadOnlyList<ExpertKey> trace)
    {
        ArgumentNullException.ThrowIfNull(trace);
        _trace = [.. trace];
        _nextUse = new int[_trace.Length];
        var seen = new Dictionary<ExpertKey, int>();
        for (int i = _trace.Length - 1; i >= 0; i--)
        {
            _nextUse[i] = seen.TryGetValue(_trace[i], out int next) ? next : int.MaxValue;
            seen[_trace[i]] = i;
        }
    }

    /// <inheritdoc/>
    public string Name => "belady";

    /// <inheritdoc/>
    public void Initialize(int slots)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        _slotNext = new int[slots];
        _position = 0;
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The request differs from the trace at this position, or the trace is exhausted.</exception>
    public void Accessed(int slot, ExpertKey key, bool filled)
    {
        if (_position >= _trace.Length)
            throw new InvalidOperationException($"request {_position} for {key} is past the end of the {_trace.Length}-request trace Belady was given");
        if (_trace[_position] != key)
            throw new InvalidOperationException($"request {_position} is for {key} but the trace Belady was given has {_trace[_position]} there");
        _slotNext[slot] = _nextUse[_position];
        _position++;
    }

    /// <inheritdoc/>
    public int ChooseVictim(ReadOnlySpan<bool> evictable, ExpertKey incoming)
    {
        int victim = -1;
        for (int s = 0; s < _slotNext.Length; s++)
            if (evictable[s] && (victim < 0 || _slotNext[s] > _slotNext[victim])) victim = s;
        return victim >= 0 ? victim : throw new InvalidOperationException("no evictable slot");
    }
}
