using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Routing;
using Switchyard.Tensors;

namespace Switchyard.Experts;

/// <summary>
/// Experts that are index sets of one dense SwiGLU FFN's hidden units (Read-ME's extracted experts, the spec's
/// <c>SliceExpert</c> views): expert e computes W_down[:, S_e]·(silu(W_gate[S_e]·x) ∘ W_up[S_e]·x) on the dense weights
/// themselves, S_e = the units where row e of <see cref="Masks"/> is 1. Slices may overlap; weights stay shared, so a
/// unit used by two experts gets both experts' gradients. Compute follows routing: each expert multiplies only its own
/// rows by only its own units (gathered weight rows, then two GEMMs); an expert with no rows costs nothing.
/// </summary>
/// <remarks>
/// Row <see cref="Experts"/> of the masks is the always-on shared slice (<see cref="Shared"/>), computed for every token
/// by the block that owns this set. The set holds no parameters of its own (the block registers the dense weights and
/// the frozen masks), and is built from differentiable tape ops that each have their own gradient checks
/// (IndexSelect, Linear, SwiGlu, MatMul, Slice, Concat).
/// </remarks>
public sealed class SliceExperts : IExpertSet
{
    readonly Parameter _gate, _up, _down, _masks;
    int[][] _units = [];

    /// <summary>E experts over <paramref name="gate"/>, <paramref name="up"/> [D_h, d], <paramref name="down"/> [d, D_h] with <paramref name="masks"/> [E + 1, D_h].</summary>
    /// <exception cref="ArgumentException">Shapes do not agree.</exception>
    public SliceExperts(Parameter gate, Parameter up, Parameter down, Parameter masks)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(up);
        ArgumentNullException.ThrowIfNull(down);
        ArgumentNullException.ThrowIfNull(masks);
        int width = gate.Shape[0], d = gate.Shape[1];
        if (up.Shape != gate.Shape || down.Shape != new Shape(d, width) || masks.Shape.Rank != 2 || masks.Shape[1] != width || masks.Shape[0] < 2)
            throw new ArgumentException($"expected gate and up [D_h, d], down [d, D_h] and masks [E + 1, D_h]; got {gate.Shape}, {up.Shape}, {down.Shape}, {masks.Shape}", nameof(masks));
        (_gate, _up, _down, _masks) = (gate, up, down, masks);
        ModelDim = d;
        Width = width;
        Experts = masks.Shape[0] - 1;
    }

    /// <inheritdoc/>
    public int Experts { get; }

    /// <inheritdoc/>
    public int ModelDim { get; }

    /// <summary>The dense width D_h the slices index.</summary>
    public int Width { get; }

    /// <summary>Index of the shared slice's mask row (= E).</summary>
    public int Shared => Experts;

    /// <summary>The masks [E + 1, D_h]: row e = 1 on expert e's units; row E = the shared units.</summary>
    public Parameter Masks => _masks;

    /// <summary>The units of slice <paramref name="slice"/> (0..E−1 an expert, E the shared slice), ascending, as the masks are now.</summary>
    public int[] Units(int slice)
    {
        ReadOnlySpan<float> row = _masks.Value.Span.Slice(slice * Width, Width);
        var list = new List<int>();
        for (int j = 0; j < Width; j++) if (row[j] > 0.5f) list.Add(j);
        return [.. list];
    }

    /// <inheritdoc/>
    public long FlopsPerRow(int expert) => 2L * 3 * ModelDim * Units(expert).Length;

    /// <inheritdoc/>
    public long ParametersPerRow(int expert) => 3L * ModelDim * Units(expert).Length;

    /// <summary>The SwiGLU of <paramref name="x"/> [r, d] through the units <paramref name="units"/> only; [r, d]. <paramref name="downT"/> is W_downᵀ [D_h, d].</summary>
    public Var Through(Tape tape, Var x, ReadOnlySpan<int> units, Var downT)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        if (units.Length == 0) return tape.Constant(tape.Allocate(x.Shape));
        Var h = tape.SwiGlu(tape.Linear(x, tape.IndexSelect(_gate.Use(tape), units)), tape.Linear(x, tape.IndexSelect(_up.Use(tape), units)));
        return tape.MatMul(h, tape.IndexSelect(downT, units));
    }

    /// <summary>W_downᵀ [D_h, d] on the tape (gathering its rows gathers the down projection's columns).</summary>
    public Var DownTransposed(Tape tape)
    {
        ArgumentNullException.ThrowIfNull(tape);
        return tape.Transpose(_down.Use(tape));
    }

    /// <inheritdoc/>
    /// <exception cref="ShapeMismatchException">rows is not [plan.Count, d] or the plan has another number of experts.</exception>
    public Var Forward(Tape tape, Var rows, RoutingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(plan);
        int n = plan.Count, d = ModelDim;
        ShapeMismatchException.ThrowIf(rows.Shape != new Shape(n, d), "SliceExperts rows", new Shape(n, d), rows.Shape);
        if (plan.Experts != Experts) throw new ShapeMismatchException("SliceExperts plan", $"{Experts} experts", $"{plan.Experts} experts");
        if (n == 0) return tape.Constant(tape.Allocate(new Shape(0, d)));
        if (_units.Length != Experts) _units = new int[Experts][];
        for (int e = 0; e < Experts; e++) _units[e] = Units(e);
        Var downT = DownTransposed(tape);
        // The rows of expert e are the contiguous block Offsets[e] .. Offsets[e+1]: cut it out of the flattened rows,
        // run it through S_e, and put the outputs back in the same order (row-wise concatenation of flat blocks).
        Var flat = tape.Reshape(rows, new Shape(1, n * d));
        ReadOnlySpan<int> off = plan.Offsets;
        var parts = new List<Var>(Experts);
        for (int e = 0; e < Experts; e++)
        {
            int r = off[e + 1] - off[e];
            if (r == 0) continue;
            Var x = tape.Reshape(tape.Slice(flat, off[e] * d, r * d), new Shape(r, d));
            parts.Add(tape.Reshape(Through(tape, x, _units[e], downT), new Shape(1, r * d)));
        }
        Var all = parts.Count == 1 ? parts[0] : tape.Concat([.. parts]);
        return tape.Reshape(all, new Shape(n, d));
    }
}
