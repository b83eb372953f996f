using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Routing;

/// <summary>
/// The contract between routers and expert sets: which items each expert processes and with
/// what weight. Grouped by expert, CSR-style: the kept assignments of expert e are the slots
/// <c>Offsets[e] .. Offsets[e+1]</c> of <see cref="Item"/>, <see cref="Expert"/> and
/// <see cref="Weight"/>, items ascending inside a group (dispatch gathers rows in order). Per
/// item, <see cref="ItemOffsets"/>/<see cref="ItemSlot"/> list the slots of its kept
/// assignments in ascending expert order (what the combiner needs): an item may have 0..E.
/// </summary>
/// <remarks>
/// <para>A selector fills a plan through <see cref="Begin"/>, <see cref="Add"/> and
/// (optionally) <see cref="SetCapacity"/>; the <see cref="Router"/> then calls
/// <see cref="Finish"/>, which sorts, applies capacity (recording dropped assignments) and
/// builds the arrays, and finally sets <see cref="Gates"/>, the differentiable gate values.</para>
/// <para>One plan object per MoE layer is reused across steps: buffers grow to the largest
/// shape seen and never shrink, so a warm step allocates nothing. Spans are valid until the
/// next <see cref="Begin"/>; <see cref="Gates"/> until the tape is reset.</para>
/// </remarks>
public sealed class RoutingPlan
{
    // Candidates (selected assignments, before capacity), in Add order.
    int[] _candItem = [], _candExpert = [], _candRank = [];
    float[] _candPriority = [], _scratchPriority = [];
    int _candCount;
    // Candidates sorted by item (stable): the selected set per item, before capacity.
    int[] _selOffsets = [], _selExpert = [], _selCand = [];
    // Kept assignments, grouped by expert.
    int[] _offsets = [], _item = [], _expert = [], _itemOffsets = [], _itemSlot = [];
    float[] _weight = [];
    int _count;
    // Dropped assignments.
    int[] _dropItem = [], _dropExpert = [];
    int _dropCount;
    // Selections of null experts (ids Experts .. Slots-1): never dispatched, only counted.
    int[] _nullItem = [], _nullSlot = [], _nullPerItem = [], _nullLoad = [];
    int _nullCount;
    // Scratch.
    int[] _order = [], _order2 = [], _cursor = [];
    bool _finished;

    /// <summary>Number of items N (tokens, requests) routed.</summary>
    public int Items { get; private set; }

    /// <summary>Number of true (computing) experts E: the ids of <see cref="Offsets"/>, <see cref="Expert"/> and dispatch.</summary>
    public int Experts { get; private set; }

    /// <summary>
    /// Number of null experts (AdaMoE, arXiv 2406.13233): ids <see cref="Experts"/> .. <see cref="Slots"/>−1 that a
    /// selector may choose but that output 0 and cost nothing. Their selections are counted
    /// (<see cref="NullSelectedCount"/>, <see cref="NullLoad"/>, <see cref="NullSelectedOf"/>) and never
    /// reach the kept, selected or dropped arrays, so dispatch, capacity and combine never see them.
    /// </summary>
    public int NullExperts { get; private set; }

    /// <summary>Columns of the router's probabilities: <see cref="Experts"/> + <see cref="NullExperts"/>.</summary>
    public int Slots => Experts + NullExperts;

    /// <summary>Number of null-expert selections (all items).</summary>
    public int NullSelectedCount => _nullCount;

    /// <summary>[NullExperts] selections of each null expert (after <see cref="Finish"/>).</summary>
    public ReadOnlySpan<int> NullLoad => _nullLoad.AsSpan(0, NullExperts);

    /// <summary>Null experts <paramref name="item"/> selected (after <see cref="Finish"/>).</summary>
    public int NullSelectedOf(int item) => NullExperts == 0 ? 0 : _nullPerItem[item];

    /// <summary>Number of kept assignments n (the length of <see cref="Item"/>, <see cref="Expert"/>, <see cref="Weight"/>, <see cref="ItemSlot"/>).</summary>
    public int Count => _count;

    /// <summary>Number of selected assignments before capacity: <see cref="Count"/> + <see cref="DroppedCount"/>.</summary>
    public int SelectedCount => _candCount;

    /// <summary>[E+1] start of each expert's group; monotone, Offsets[0] = 0, Offsets[E] = <see cref="Count"/>.</summary>
    public ReadOnlySpan<int> Offsets => _offsets.AsSpan(0, Experts + 1);

    /// <summary>[n] the item of each kept assignment, grouped by expert, items ascending in a group.</summary>
    public ReadOnlySpan<int> Item => _item.AsSpan(0, _count);

    /// <summary>[n] the expert of each kept assignment (constant inside a group; saves a search).</summary>
    public ReadOnlySpan<int> Expert => _expert.AsSpan(0, _count);

    /// <summary>[n] gate weight of each kept assignment: the values of <see cref="Gates"/> (filled by the router).</summary>
    public ReadOnlySpan<float> Weight => _weight.AsSpan(0, _count);

    /// <summary>[N+1] start of each item's slots in <see cref="ItemSlot"/>.</summary>
    public ReadOnlySpan<int> ItemOffsets => _itemOffsets.AsSpan(0, Items + 1);

    /// <summary>[n] per item (ascending expert), the slot of each kept assignment in the grouped arrays.</summary>
    public ReadOnlySpan<int> ItemSlot => _itemSlot.AsSpan(0, _count);

    /// <summary>[N+1] start of each item's selected assignments (before capacity) in <see cref="SelectedExpert"/>.</summary>
    public ReadOnlySpan<int> SelectedOffsets => _selOffsets.AsSpan(0, Items + 1);

    /// <summary>Per item, the experts the selector chose (before capacity), in the order it chose them (best first for top-k).</summary>
    public ReadOnlySpan<int> SelectedExpert => _selExpert.AsSpan(0, _candCount);

    /// <summary>Number of assignments dropped by capacity.</summary>
    public int DroppedCount => _dropCount;

    /// <summary>[dropped] the item of each dropped assignment (ascending expert, then item).</summary>
    public ReadOnlySpan<int> DroppedItem => _dropItem.AsSpan(0, _dropCount);

    /// <summary>[dropped] the expert of each dropped assignment.</summary>
    public ReadOnlySpan<int> DroppedExpert => _dropExpert.AsSpan(0, _dropCount);

    /// <summary>Tokens per expert allowed by the selector, or 0 for unlimited (dropless).</summary>
    public int Capacity { get; private set; }

    /// <summary>Which assignments survive when an expert is over capacity.</summary>
    public DropPolicy DropPolicy { get; private set; }

    /// <summary>
    /// The differentiable gate values, [n] in grouped order (values equal <see cref="Weight"/>);
    /// their gradient flows back to the scorer. A constant for non-learned gates (hash). Valid until the tape is reset.
    /// </summary>
    public Var? Gates { get; private set; }

    /// <summary>
    /// Attaches the differentiable gate values [n] (grouped order) and copies them into
    /// <see cref="Weight"/>. <see cref="Router.Route"/> does this; custom routing code may too.
    /// </summary>
    /// <exception cref="InvalidOperationException">The plan is not finished.</exception>
    /// <exception cref="ShapeMismatchException">gates is not [n].</exception>
    public void AttachGates(Var gates)
    {
        ArgumentNullException.ThrowIfNull(gates);
        if (!_finished) throw new InvalidOperationException("finish the plan before attaching gates");
        ShapeMismatchException.ThrowIf(gates.Shape != new Shape(_count), "RoutingPlan gates", new Shape(_count), gates.Shape);
        Gates = gates;
        gates.Value.Span.CopyTo(_weight.AsSpan(0, _count));
    }

    /// <summary>
    /// Sets <see cref="Weight"/> without a tape (inference of a loaded checkpoint, model-level
    /// routing, analysis); <see cref="Gates"/> becomes null.
    /// </summary>
    /// <exception cref="InvalidOperationException">The plan is not finished.</exception>
    /// <exception cref="ArgumentException">weights is not of length n.</exception>
    public void SetWeights(ReadOnlySpan<float> weights)
    {
        if (!_finished) throw new InvalidOperationException("finish the plan before setting weights");
        if (weights.Length != _count) throw new ArgumentException($"expected {_count} weights (one per kept assignment), got {weights.Length}", nameof(weights));
        Gates = null;
        weights.CopyTo(_weight.AsSpan(0, _count));
    }

    /// <summary>Whether the plan was finished (its arrays are valid).</summary>
    public bool IsFinished => _finished;

    /// <summary>Number of kept assignments of <paramref name="item"/>.</summary>
    public int ExpertsOf(int item) => _itemOffsets[item + 1] - _itemOffsets[item];

    /// <summary>
    /// Starts a plan for <paramref name="items"/> items over <paramref name="experts"/> true experts and
    /// <paramref name="nullExperts"/> null experts (dropless until <see cref="SetCapacity"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">items &lt; 0, experts &lt; 1 or nullExperts &lt; 0.</exception>
    public void Begin(int items, int experts, int nullExperts = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(items);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        ArgumentOutOfRangeException.ThrowIfNegative(nullExperts);
        Items = items;
        Experts = experts;
        NullExperts = nullExperts;
        _candCount = _count = _dropCount = _nullCount = 0;
        if (nullExperts > 0) { Grow(ref _nullPerItem, items); Grow(ref _nullLoad, nullExperts); }
        Capacity = 0;
        DropPolicy = DropPolicy.Position;
        Gates = null;
        _finished = false;
        Grow(ref _selOffsets, items + 1);
        Grow(ref _itemOffsets, items + 1);
        Grow(ref _offsets, experts + 1);
        Grow(ref _cursor, Math.Max(items, experts) + 1);
    }

    /// <summary>Limits every expert to <paramref name="capacity"/> assignments (0 = unlimited); the excess is dropped by <paramref name="policy"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">capacity &lt; 0.</exception>
    public void SetCapacity(int capacity, DropPolicy policy)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Capacity = capacity;
        DropPolicy = policy;
    }

    /// <summary>
    /// Adds a selected assignment. <paramref name="priority"/> orders assignments for
    /// <see cref="DropPolicy.Score"/> (higher survives). The order of calls per item is its rank
    /// (first = best), which <see cref="DropPolicy.Position"/> uses.
    /// An expert id ≥ <see cref="Experts"/> is a null expert: counted, never dispatched.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">item or expert out of range.</exception>
    public void Add(int item, int expert, float priority)
    {
        if ((uint)item >= (uint)Items) throw new ArgumentOutOfRangeException(nameof(item), item, $"items are 0..{Items - 1}");
        if ((uint)expert >= (uint)Slots) throw new ArgumentOutOfRangeException(nameof(expert), expert, $"experts are 0..{Slots - 1}");
        if (expert >= Experts)
        {
            if (_nullCount == _nullItem.Length)
            {
                int grown = Math.Max(64, _nullCount * 2);
                Array.Resize(ref _nullItem, grown);
                Array.Resize(ref _nullSlot, grown);
            }
            _nullItem[_nullCount] = item;
            _nullSlot[_nullCount++] = expert - Experts;
            return;
        }
        if (_candCount == _candItem.Length)
        {
            int size = Math.Max(64, _candCount * 2);
            Array.Resize(ref _candItem, size);
            Array.Resize(ref _candExpert, size);
            Array.Resize(ref _candRank, size);
            Array.Resize(ref _candPriority, size);
        }
        _candItem[_candCount] = item;
        _candExpert[_candCount] = expert;
        _candPriority[_candCount] = priority;
        _candCount++;
    }

    /// <summary>
    /// Replaces every selected assignment of <paramref name="item"/> by <paramref name="experts"/>
    /// (forced routing, oracles), with priority +∞ so that capacity keeps them when it can.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">item or an expert out of range.</exception>
    public void Replace(int item, ReadOnlySpan<int> experts)
    {
        if ((uint)item >= (uint)Items) throw new ArgumentOutOfRangeException(nameof(item), item, $"items are 0..{Items - 1}");
        int w = 0;
        for (int c = 0; c < _candCount; c++)
        {
            if (_candItem[c] == item) continue;
            _candItem[w] = _candItem[c]; _candExpert[w] = _candExpert[c]; _candPriority[w] = _candPriority[c];
            w++;
        }
        _candCount = w;
        w = 0;
        for (int c = 0; c < _nullCount; c++)
        {
            if (_nullItem[c] == item) continue;
            _nullItem[w] = _nullItem[c]; _nullSlot[w++] = _nullSlot[c];
        }
        _nullCount = w;
        foreach (int e in experts) Add(item, e, float.PositiveInfinity);
    }

    /// <summary>
    /// Sorts the selected assignments by expert (items ascending), applies capacity and builds
    /// every array. Called by the router after selection.
    /// </summary>
    /// <exception cref="InvalidOperationException">The same (item, expert) pair was added twice.</exception>
    public void Finish()
    {
        int n = _candCount, items = Items, experts = Experts;
        Grow(ref _order, n); Grow(ref _order2, n); Grow(ref _selExpert, n); Grow(ref _selCand, n);
        Grow(ref _item, n); Grow(ref _expert, n); Grow(ref _weight, n); Grow(ref _itemSlot, n);

        // Pass 1: stable counting sort by item: the selected set per item, rank = order of Add.
        Span<int> sel = _selOffsets.AsSpan(0, items + 1);
        sel.Clear();
        for (int c = 0; c < n; c++) sel[_candItem[c] + 1]++;
        for (int i = 0; i < items; i++) sel[i + 1] += sel[i];
        Span<int> cur = _cursor.AsSpan(0, items);
        sel[..items].CopyTo(cur);
        for (int c = 0; c < n; c++)
        {
            int i = _candItem[c], p = cur[i]++;
            _order[p] = c;
            _selExpert[p] = _candExpert[c];
            _selCand[p] = c;
            _candRank[c] = p - sel[i];
        }

        // Pass 2: stable counting sort by expert: groups with items ascending.
        Span<int> off = _offsets.AsSpan(0, experts + 1);
        off.Clear();
        for (int c = 0; c < n; c++) off[_candExpert[c] + 1]++;
        for (int e = 0; e < experts; e++) off[e + 1] += off[e];
        Span<int> ecur = _cursor.AsSpan(0, experts);
        off[..experts].CopyTo(ecur);
        for (int p = 0; p < n; p++)
        {
            int c = _order[p];
            _order2[ecur[_candExpert[c]]++] = c;
        }
        for (int e = 0; e < experts; e++)
            for (int p = off[e] + 1; p < off[e + 1]; p++)
                if (_candItem[_order2[p]] == _candItem[_order2[p - 1]])
                    throw new InvalidOperationException($"the selector assigned item {_candItem[_order2[p]]} to expert {e} twice");

        // Pass 3: capacity. Survivors of each group keep ascending item order.
        Grow(ref _dropItem, n); Grow(ref _dropExpert, n); Grow(ref _scratchPriority, n);
        int kept = 0, dropped = 0;
        for (int e = 0; e < experts; e++)
        {
            int start = off[e], end = off[e + 1], size = end - start;
            Span<int> group = _order2.AsSpan(start, size);
            if (Capacity > 0 && size > Capacity)
            {
                // Losers get rank -1 (ranks are not needed after this point).
                if (DropPolicy == DropPolicy.Position) KeepByRank(group);
                else KeepByPriority(group);
            }
            off[e] = kept;
            foreach (int c in group)
            {
                if (Capacity > 0 && size > Capacity && _candRank[c] < 0)
                {
                    _dropItem[dropped] = _candItem[c];
                    _dropExpert[dropped++] = e;
                }
                else
                {
                    _item[kept] = _candItem[c];
                    _expert[kept++] = e;
                }
            }
        }
        off[experts] = kept;
        _count = kept;
        _dropCount = dropped;

        // Pass 4: per-item slots, ascending expert (groups are visited in expert order).
        Span<int> io = _itemOffsets.AsSpan(0, items + 1);
        io.Clear();
        for (int j = 0; j < kept; j++) io[_item[j] + 1]++;
        for (int i = 0; i < items; i++) io[i + 1] += io[i];
        io[..items].CopyTo(cur);
        for (int j = 0; j < kept; j++) _itemSlot[cur[_item[j]]++] = j;
        _weight.AsSpan(0, kept).Clear();

        // Null selections: per item and per null expert counts (nothing else sees them).
        if (NullExperts > 0)
        {
            Span<int> perItem = _nullPerItem.AsSpan(0, items), load = _nullLoad.AsSpan(0, NullExperts);
            perItem.Clear(); load.Clear();
            for (int c = 0; c < _nullCount; c++) { perItem[_nullItem[c]]++; load[_nullSlot[c]]++; }
        }
        _finished = true;
    }

    /// <summary>The priority the selector gave the selected assignment at <paramref name="index"/> of <see cref="SelectedExpert"/>.</summary>
    public float SelectedPriority(int index) => _candPriority[_selCand[index]];

    static void Grow(ref int[] a, int size)
    {
        if (a.Length < size) a = new int[Math.Max(size, a.Length * 2)];
    }

    static void Grow(ref float[] a, int size)
    {
        if (a.Length < size) a = new float[Math.Max(size, a.Length * 2)];
    }

    // GShard/Switch: capacity goes to every item's first choice before any second choice,
    // earlier items first. Groups are in item order, so one sweep per rank suffices.
    void KeepByRank(Span<int> group)
    {
        int left = Capacity, maxRank = 0;
        foreach (int c in group) maxRank = Math.Max(maxRank, _candRank[c]);
        for (int r = 0; r <= maxRank; r++)
            foreach (int c in group)
                if (_candRank[c] == r)
                {
                    if (left > 0) { left--; _candRank[c] = int.MaxValue; } // provisionally kept
                }
        foreach (int c in group) _candRank[c] = _candRank[c] == int.MaxValue ? 0 : -1;
    }

    // Batch-prioritized routing (V-MoE): highest priority first, ties to the earlier item.
    // The C-th largest priority is the threshold; a primitive sort allocates nothing.
    void KeepByPriority(Span<int> group)
    {
        Span<float> sorted = _scratchPriority.AsSpan(0, group.Length);
        for (int j = 0; j < group.Length; j++) sorted[j] = _candPriority[group[j]];
        sorted.Sort();
        float threshold = sorted[group.Length - Capacity];
        int above = 0;
        foreach (int c in group) if (_candPriority[c] > threshold) above++;
        int ties = Capacity - above;
        foreach (int c in group)
        {
            float p = _candPriority[c];
            bool keep = p > threshold || (p == threshold && ties-- > 0);
            _candRank[c] = keep ? 0 : -1;
        }
    }
}
