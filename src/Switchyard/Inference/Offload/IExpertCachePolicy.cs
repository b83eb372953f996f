namespace Switchyard.Inference;

/// <summary>
/// Chooses which resident expert an expert cache evicts on a miss. A policy instance serves one cache
/// (or one <see cref="CacheSimulator"/> replay): the cache calls <see cref="Initialize"/> once, then
/// <see cref="Accessed"/> after every request (hit or fill) and <see cref="ChooseVictim"/> when a miss
/// finds every slot taken. Slots are numbered 0 … slots − 1; which key a slot holds is the cache's business.
/// </summary>
/// <remarks>
/// Implementations: <see cref="LruPolicy"/>, <see cref="LfuPolicy"/>, and the offline-optimal
/// <see cref="BeladyPolicy"/> (which must be given the future trace). The policy decides data movement
/// only; it never changes which experts a token uses or what they compute.
/// </remarks>
public interface IExpertCachePolicy
{
    /// <summary>Short name for tables: <c>lru</c>, <c>lfu</c>, <c>belady</c>.</summary>
    string Name { get; }

    /// <summary>Forgets all state and prepares for a cache of <paramref name="slots"/> slots, all empty.</summary>
    void Initialize(int slots);

    /// <summary>Records a request for <paramref name="key"/>, now resident in <paramref name="slot"/> (<paramref name="filled"/>: it was just read in, replacing whatever the slot held).</summary>
    void Accessed(int slot, ExpertKey key, bool filled);

    /// <summary>
    /// The slot to evict so that <paramref name="incoming"/> can be read in, among the slots where
    /// <paramref name="evictable"/> is true (at least one is). Every slot is occupied when this is called.
    /// </summary>
    int ChooseVictim(ReadOnlySpan<bool> evictable, ExpertKey incoming);
}
