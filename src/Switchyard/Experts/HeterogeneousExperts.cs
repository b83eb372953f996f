using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Routing;
using Switchyard.Tensors;

namespace Switchyard.Experts;

/// <summary>
/// Expert sets of different kinds side by side in one layer, composed by expert-id range: part 0 serves ids
/// 0..E₀−1, part 1 the next E₁ ids, and so on (Duo-LLM's big and small FFN, arXiv 2410.10846; later mixes of
/// FFN, LoRA or ternary experts). A plan's rows are grouped by expert, so each part's rows are one contiguous
/// range: it receives exactly those rows with a sub-plan of its own ids and computes nothing for rows routed
/// elsewhere (a part with no row is not called). Null experts (skip) are the router's business: never
/// dispatched, they never reach an expert set.
/// </summary>
/// <remarks>
/// Parts that are <see cref="Module"/>s are registered under their names (e.g. <c>experts.big.0.gate_proj.weight</c>).
/// The copy in and out of each part (row gather and scatter, O(rows·d)) is skipped when one part holds every row.
/// </remarks>
public sealed class HeterogeneousExperts : Module, IExpertSet
{
    readonly IExpertSet[] _parts;
    readonly int[] _first;
    readonly RoutingPlan[] _plans;
    int[] _rowIndex = [];

    /// <summary>Composes <paramref name="parts"/> (name, expert set) in expert-id order.</summary>
    /// <exception cref="ArgumentException">No part, duplicate or empty names, or the parts' widths differ.</exception>
    public HeterogeneousExperts(params (string Name, IExpertSet Experts)[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Length == 0) throw new ArgumentException("needs at least one part", nameof(parts));
        _parts = new IExpertSet[parts.Length];
        _first = new int[parts.Length + 1];
        _plans = new RoutingPlan[parts.Length];
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < parts.Length; i++)
        {
            var (name, set) = parts[i];
            ArgumentNullException.ThrowIfNull(set, nameof(parts));
            if (string.IsNullOrEmpty(name) || !names.Add(name)) throw new ArgumentException($"part names must be non-empty and distinct, found '{name}'", nameof(parts));
            if (set.ModelDim != parts[0].Experts.ModelDim)
                throw new ArgumentException($"part '{name}' has width {set.ModelDim}, part '{parts[0].Name}' {parts[0].Experts.ModelDim}", nameof(parts));
            _parts[i] = set;
            _first[i + 1] = _first[i] + set.Experts;
            _plans[i] = new RoutingPlan();
            if (set is Module m) AddModule(name, m);
        }
        ModelDim = parts[0].Experts.ModelDim;
        Names = [.. parts.Select(p => p.Name)];
    }

    /// <inheritdoc/>
    public int Experts => _first[^1];

    /// <inheritdoc/>
    public int ModelDim { get; }

    /// <summary>The parts' names, in expert-id order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The parts, in expert-id order.</summary>
    public IReadOnlyList<IExpertSet> Parts => _parts;

    /// <summary>The first expert id of part <paramref name="part"/>.</summary>
    public int FirstExpert(int part) => _first[part];

    /// <summary>The part serving <paramref name="expert"/> and the expert's id inside it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The id is outside 0..E−1.</exception>
    public (int Part, int Local) Locate(int expert)
    {
        if ((uint)expert >= (uint)Experts) throw new ArgumentOutOfRangeException(nameof(expert), expert, $"experts are 0..{Experts - 1}");
        int p = 0;
        while (expert >= _first[p + 1]) p++;
        return (p, expert - _first[p]);
    }

    /// <inheritdoc/>
    public long FlopsPerRow(int expert)
    {
        var (p, local) = Locate(expert);
        return _parts[p].FlopsPerRow(local);
    }

    /// <inheritdoc/>
    public long ParametersPerRow(int expert)
    {
        var (p, local) = Locate(expert);
        return _parts[p].ParametersPerRow(local);
    }

    /// <inheritdoc/>
    /// <exception cref="ShapeMismatchException">rows is not [plan.Count, d] or the plan has another number of experts.</exception>
    public Var Forward(Tape tape, Var rows, RoutingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(plan);
        int n = plan.Count, d = ModelDim;
        ShapeMismatchException.ThrowIf(rows.Shape != new Shape(n, d), "HeterogeneousExperts rows", new Shape(n, d), rows.Shape);
        if (plan.Experts != Experts)
            throw new ShapeMismatchException("HeterogeneousExperts plan", $"{Experts} experts", $"{plan.Experts} experts");
        ReadOnlySpan<int> offsets = plan.Offsets;
        if (_rowIndex.Length < n) _rowIndex = new int[Math.Max(n, _rowIndex.Length * 2)];
        for (int j = 0; j < n; j++) _rowIndex[j] = j;

        Var? y = null;
        for (int p = 0; p < _parts.Length; p++)
        {
            int r0 = offsets[_first[p]], r1 = offsets[_first[p + 1]];
            if (r1 == r0) continue; // compute follows routing: no row, no call
            RoutingPlan sub = SubPlan(p, plan, r0, r1);
            if (r0 == 0 && r1 == n) return _parts[p].Forward(tape, rows, sub); // the only part with rows
            ReadOnlySpan<int> range = _rowIndex.AsSpan(r0, r1 - r0);
            Var outs = _parts[p].Forward(tape, tape.IndexSelect(rows, range), sub);
            Var placed = tape.ScatterAdd(outs, range, null, n);
            y = y is null ? placed : tape.Add(y, placed);
        }
        return y ?? tape.NewVar(new Shape(n, d), tape.NeedsGrad(rows), zero: true);
    }

    // Rows r0..r1 of the plan as a plan of part p's own experts: item = row − r0, expert ids shifted to 0..Eₚ−1.
    // Groups stay contiguous and in order, which is all an expert set reads (Offsets, Count, Expert).
    RoutingPlan SubPlan(int p, RoutingPlan plan, int r0, int r1)
    {
        RoutingPlan sub = _plans[p];
        int first = _first[p];
        sub.Begin(r1 - r0, _parts[p].Experts);
        ReadOnlySpan<int> expert = plan.Expert;
        for (int j = r0; j < r1; j++) sub.Add(j - r0, expert[j] - first, 1f);
        sub.Finish();
        return sub;
    }
}
