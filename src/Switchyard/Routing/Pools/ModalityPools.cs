namespace Switchyard.Routing.Pools;

/// <summary>
/// MoIIE's expert pools (arXiv 2508.09779, shared/specs/token-routers.md §13): a token of modality m may use the
/// intra-modality experts of m and the inter-modality (shared) experts, <c>C(t) = Intra[m(t)] ∪ Inter</c>. Experts are
/// laid out modality by modality (modality 0's intra experts first), the inter-modality experts last. One pool per
/// modality; the modality comes from <see cref="RoutingContext.ModalityIds"/>.
/// </summary>
/// <remarks>
/// Tokens without a modality id (no ids on the context, as in <c>InferenceModel</c> or a bare forward pass; or a
/// negative or unknown id, as on evaluation padding) are treated as modality <see cref="Unlabelled"/>: an explicit
/// rule, never an error, so a model trained with ids still runs without them (as that modality).
/// </remarks>
public sealed class ModalityPools : IExpertPools
{
    readonly int[] _start, _count;
    readonly string[] _names;

    /// <summary>Creates the pools: <paramref name="intra"/>[m] experts of modality m, then <paramref name="inter"/> shared ones.</summary>
    /// <param name="names">Modality names, id = index (e.g. <c>text</c>, <c>task</c>); as many as <paramref name="intra"/>.</param>
    /// <param name="intra">Intra-modality experts per modality (≥ 0 each).</param>
    /// <param name="inter">Inter-modality experts every modality may use (≥ 0).</param>
    /// <param name="unlabelled">The modality of tokens without an id.</param>
    /// <param name="source">Whether a position's id is read from its input token or its target (<see cref="SideIdSource"/>).</param>
    /// <exception cref="ArgumentException">Counts are negative, names and counts differ in length, a modality would have no expert, or <paramref name="unlabelled"/> is not a modality.</exception>
    public ModalityPools(IReadOnlyList<string> names, IReadOnlyList<int> intra, int inter, int unlabelled = 0, SideIdSource source = SideIdSource.Input)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(intra);
        if (names.Count != intra.Count || intra.Count == 0) throw new ArgumentException($"{names.Count} names for {intra.Count} modalities", nameof(names));
        ArgumentOutOfRangeException.ThrowIfNegative(inter);
        if ((uint)unlabelled >= (uint)intra.Count) throw new ArgumentException($"unlabelled modality {unlabelled} is not one of the {intra.Count}", nameof(unlabelled));
        _names = [.. names];
        _start = new int[intra.Count];
        _count = new int[intra.Count];
        int at = 0;
        for (int m = 0; m < intra.Count; m++)
        {
            if (intra[m] < 0) throw new ArgumentException($"modality '{names[m]}' has {intra[m]} experts", nameof(intra));
            if (intra[m] + inter == 0) throw new ArgumentException($"modality '{names[m]}' would have no expert (0 intra, 0 inter)", nameof(intra));
            _start[m] = at;
            _count[m] = intra[m];
            at += intra[m];
        }
        InterStart = at;
        Inter = inter;
        Experts = at + inter;
        Unlabelled = unlabelled;
        Source = source;
    }

    /// <inheritdoc/>
    public int Pools => _names.Length;

    /// <inheritdoc/>
    public int Experts { get; }

    /// <summary>Number of inter-modality (shared) experts; they are the last ones.</summary>
    public int Inter { get; }

    /// <summary>Id of the first inter-modality expert.</summary>
    public int InterStart { get; }

    /// <summary>The modality of tokens without an id.</summary>
    public int Unlabelled { get; }

    /// <summary>Where a position's modality id is read from.</summary>
    public SideIdSource Source { get; }

    /// <summary>Intra-modality experts of modality <paramref name="modality"/>: ids <c>start .. start + count − 1</c>.</summary>
    public (int Start, int Count) Intra(int modality) => (_start[modality], _count[modality]);

    /// <inheritdoc/>
    public string PoolName(int pool) => _names[pool];

    /// <inheritdoc/>
    public bool Allows(int pool, int expert) =>
        expert >= InterStart ? expert < Experts : expert >= _start[pool] && expert < _start[pool] + _count[pool];

    /// <inheritdoc/>
    public int AllowedCount(int pool) => _count[pool] + Inter;

    /// <inheritdoc/>
    public int PoolOf(RoutingContext context, int item)
    {
        ArgumentNullException.ThrowIfNull(context);
        int id = SideIds.Read(context.ModalityIds, item, context.SequenceLength, Source);
        return (uint)id < (uint)_names.Length ? id : Unlabelled;
    }
}
