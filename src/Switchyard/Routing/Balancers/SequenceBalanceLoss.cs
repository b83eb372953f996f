using Switchyard.Autograd;
using Switchyard.Routing.Gating;
using Switchyard.Tensors;

namespace Switchyard.Routing.Balancers;

/// <summary>
/// DeepSeek-V3 sequence-wise auxiliary loss (shared/specs/baselines.md §6), per sequence of T
/// tokens: <c>s′ = s / Σ_j s_j</c>, <c>f_i = E·(selected to i) / (selected in the sequence)</c>
/// (= E/(k·T)·count for fixed k), <c>P_i = (1/T)·Σ_t s′_{t,i}</c>, <c>L = α·Σ_i f_i·P_i</c>,
/// averaged over sequences (<see cref="RoutingContext.SequenceLength"/>; 0 = the batch is one
/// sequence). At perfect balance L = α. Recorded as <c>seq_balance</c>.
/// </summary>
public sealed class SequenceBalanceLoss : IBalancer
{
    /// <summary>Creates the loss with coefficient <paramref name="alpha"/> (DeepSeek-V3 1e-4).</summary>
    /// <exception cref="ArgumentOutOfRangeException">alpha is negative or not finite.</exception>
    public SequenceBalanceLoss(float alpha = 1e-4f)
    {
        if (!(alpha >= 0) || !float.IsFinite(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "must be ≥ 0");
        Alpha = alpha;
    }

    /// <summary>The coefficient α.</summary>
    public float Alpha { get; }

    /// <inheritdoc/>
    public string Name => "seq_balance";

    /// <inheritdoc/>
    public Var? Loss(Tape tape, in BalancerInput input, RoutingStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(statistics);
        RoutingPlan plan = input.Plan;
        int items = plan.Items, experts = plan.Experts, size = items * experts;
        if (items == 0) return null;
        int sequences = input.Context.Sequences(items), length = items / sequences;

        // s′: every entry of the row normalised by its row sum.
        Span<int> flat = tape.AllocateInts(size, zero: false).Span;
        Span<int> item = tape.AllocateInts(size, zero: false).Span;
        Span<int> rows = tape.AllocateInts(items + 1, zero: false).Span;
        for (int m = 0; m < size; m++) { flat[m] = m; item[m] = m / experts; }
        for (int i = 0; i <= items; i++) rows[i] = i * experts;
        Var normalized = tape.Reshape(GateGather.Apply(tape, input.Probabilities, flat, item, rows, flat, 1f), new Shape(items, experts));

        // W[t, i] = f_i of t's sequence / (T·S): Σ s′∘W = (1/S)·Σ_seq Σ_i f_i·P_i.
        Tensor w = tape.Allocate(new Shape(items, experts), zero: true);
        Span<float> ws = w.Span;
        ReadOnlySpan<int> selOffsets = plan.SelectedOffsets, selected = plan.SelectedExpert;
        for (int s = 0; s < sequences; s++)
        {
            Span<float> f = ws.Slice(s * length * experts, experts);
            int start = selOffsets[s * length], end = selOffsets[(s + 1) * length];
            for (int m = start; m < end; m++) f[selected[m]] += 1f;
            float scale = end > start ? (float)((double)experts / (end - start) / ((double)length * sequences)) : 0f;
            for (int e = 0; e < experts; e++) f[e] *= scale;
            for (int t = 1; t < length; t++) f.CopyTo(ws.Slice((s * length + t) * experts, experts));
        }
        Var raw = tape.Sum(tape.Mul(normalized, tape.Constant(w)));
        statistics.AddAuxLoss(Name, raw.Value.Span[0], Alpha);
        return tape.Scale(raw, Alpha);
    }
}
