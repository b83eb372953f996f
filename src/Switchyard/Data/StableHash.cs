namespace Switchyard.Data;

/// <summary>
/// A string hash that is the same on every machine and run (string.GetHashCode is
/// randomized per process), for seeded decisions such as split membership.
/// </summary>
internal static class StableHash
{
    /// <summary>FNV-1a over the UTF-16 code units, then a SplitMix64 finalizer mixed with <paramref name="seed"/>.</summary>
    public static ulong Of(string s, ulong seed)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s)
        {
            h ^= c;
            h *= 1099511628211UL;
        }
        return Mix(h ^ Mix(seed + 0x9E3779B97F4A7C15UL));
    }

    /// <summary>Uniform in [0, 1) from <see cref="Of"/>.</summary>
    public static double Unit(string s, ulong seed) => (Of(s, seed) >> 11) * (1.0 / (1UL << 53));

    static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
