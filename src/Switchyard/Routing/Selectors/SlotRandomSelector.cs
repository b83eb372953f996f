using Switchyard.Tensors;

namespace Switchyard.Routing.Selectors;

/// <summary>
/// One random slot per token, drawn independently per token and layer from fixed slot probabilities over
/// all of the plan's slots, null experts included (Duo-LLM's stage-1 random routing, arXiv 2410.10846,
/// shared/specs/token-routers.md §11: big / small / skip uniformly, or a fixed big fraction). Ignores the
/// scores; weight a constant 1, so no gradient flows through routing. Draws come from
/// <see cref="RoutingContext.Rng"/> (deterministic for a seed), in training and evaluation alike.
/// </summary>
/// <remarks>
/// <see cref="RandomSelector"/> (THOR) draws uniformly among the true experts only; a skip slot is a null
/// expert and the stage-1 mix may be non-uniform, hence this selector.
/// </remarks>
public sealed class SlotRandomSelector : ISelector
{
    readonly float[] _cumulative;

    /// <summary>Creates the selector with the probability of each slot (true experts first, then null experts); they are normalised to sum 1.</summary>
    /// <exception cref="ArgumentException">No slot, a negative or non-finite weight, or all weights 0.</exception>
    public SlotRandomSelector(ReadOnlySpan<float> slotWeights)
    {
        if (slotWeights.IsEmpty) throw new ArgumentException("needs at least one slot", nameof(slotWeights));
        double total = 0;
        foreach (float w in slotWeights)
        {
            if (!(w >= 0) || !float.IsFinite(w)) throw new ArgumentException($"slot weights must be finite and ≥ 0, found {w}", nameof(slotWeights));
            total += w;
        }
        if (total <= 0) throw new ArgumentException("at least one slot weight must be positive", nameof(slotWeights));
        _cumulative = new float[slotWeights.Length];
        double sum = 0;
        int last = 0;
        for (int s = 0; s < slotWeights.Length; s++)
        {
            _cumulative[s] = (float)((sum += slotWeights[s]) / total);
            if (slotWeights[s] > 0) last = s;
        }
        // The last possible slot absorbs rounding, so a draw u < 1 never lands on a zero-weight slot.
        for (int s = last; s < _cumulative.Length; s++) _cumulative[s] = 1f;
    }

    /// <summary>Number of slots (columns of the probabilities: true + null experts).</summary>
    public int Slots => _cumulative.Length;

    /// <summary>Probability of slot <paramref name="slot"/>.</summary>
    public float Probability(int slot) => _cumulative[slot] - (slot == 0 ? 0f : _cumulative[slot - 1]);

    /// <inheritdoc/>
    public int K => 1;

    /// <inheritdoc/>
    public bool IsCausal => true;

    /// <inheritdoc/>
    public GateSpec Gate => new(GateWeighting.Constant);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The plan has another number of slots.</exception>
    public void Select(Tensor probabilities, RoutingContext context, RoutingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(plan);
        if (plan.Slots != Slots) throw new ArgumentException($"the selector draws over {Slots} slots, the plan has {plan.Slots}", nameof(plan));
        for (int i = 0; i < plan.Items; i++)
        {
            float u = context.Rng.NextFloat();
            int s = 0;
            while (u >= _cumulative[s]) s++; // zero-weight slots repeat the previous bound: never chosen
            plan.Add(i, s, 1f);
        }
    }
}
