using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Routing.Scorers;

/// <summary>
/// Hash Layers (arXiv 2106.04426): the expert is a fixed function of the token id, as one-hot
/// scores [N, E] (no learned parameters, no gradient). Either a seeded random hash
/// (<c>SplitMix64(seed ⊕ id) mod E</c>) or a balanced table built from token frequencies
/// (<see cref="Balanced"/>). Compose with a top-1 selector with constant weight 1.
/// </summary>
public sealed class HashScorer : IScorer
{
    readonly int[]? _table;

    /// <summary>Seeded random hash over <paramref name="experts"/> experts.</summary>
    /// <exception cref="ArgumentOutOfRangeException">experts &lt; 1.</exception>
    public HashScorer(int experts, ulong seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        Experts = experts;
        Seed = seed;
    }

    HashScorer(int experts, ulong seed, int[] table) : this(experts, seed) => _table = table;

    /// <summary>
    /// Balanced assignment from token counts of the training corpus: most frequent tokens first
    /// (ties to the lower id), each to the currently least-loaded expert (ties to the lower expert).
    /// Ids outside the table fall back to the seeded hash.
    /// </summary>
    /// <exception cref="ArgumentException">A count is negative.</exception>
    public static HashScorer Balanced(int experts, ReadOnlySpan<long> tokenCounts, ulong seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        int vocab = tokenCounts.Length;
        var order = new int[vocab];
        var counts = tokenCounts.ToArray();
        for (int i = 0; i < vocab; i++)
        {
            if (counts[i] < 0) throw new ArgumentException($"token {i} has a negative count {counts[i]}", nameof(tokenCounts));
            order[i] = i;
        }
        Array.Sort(order, (a, b) => counts[a] != counts[b] ? counts[b].CompareTo(counts[a]) : a.CompareTo(b));
        var load = new long[experts];
        var table = new int[vocab];
        foreach (int id in order)
        {
            int best = 0;
            for (int e = 1; e < experts; e++) if (load[e] < load[best]) best = e;
            table[id] = best;
            load[best] += counts[id];
        }
        return new HashScorer(experts, seed, table);
    }

    /// <inheritdoc/>
    public int Experts { get; }

    /// <summary>The hash seed.</summary>
    public ulong Seed { get; }

    /// <summary>Whether a frequency-balanced table is used.</summary>
    public bool IsBalanced => _table is not null;

    /// <inheritdoc/>
    public GateActivation Activation => GateActivation.None;

    /// <summary>The expert of token <paramref name="tokenId"/>.</summary>
    public int ExpertOf(int tokenId)
    {
        if (_table is not null && (uint)tokenId < (uint)_table.Length) return _table[tokenId];
        ulong z = Seed ^ (ulong)(uint)tokenId;
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z % (ulong)Experts);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The context has no token id per item.</exception>
    public Var Score(Tape tape, Var x, RoutingContext context)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(context);
        int items = x.Shape.Rows;
        ReadOnlySpan<int> ids = context.TokenIds.Span;
        if (ids.Length != items) throw new ArgumentException($"hash routing needs a token id per item: {items} items, {ids.Length} ids", nameof(context));
        Var s = tape.NewVar(new Shape(items, Experts), requiresGrad: false, zero: true);
        Span<float> scores = s.Value.Span;
        for (int i = 0; i < items; i++) scores[i * Experts + ExpertOf(ids[i])] = 1f;
        return s;
    }
}
