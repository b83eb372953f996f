using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Routing.Balancers;

/// <summary>
/// Compute-budget penalty of Duo-LLM's trained routers (arXiv 2410.10846, shared/specs/token-routers.md §11):
/// <c>L = λ·(E[cost] − budget)</c> with <c>E[cost] = (1/N)·Σ_t Σ_s P_{t,s}·c_s</c>, the expected cost of a
/// token under the router's probabilities over all slots (true and null experts) and per-slot cost weights c
/// (big 1, small its FLOPs ratio, skip 0). Differentiable through P: ∂L/∂P_{t,s} = λ·c_s/N, so the router is
/// pushed from costly slots in proportion to their cost. Recorded as <c>budget</c> (value E[cost] − budget,
/// coefficient λ) and <c>realized_cost</c> (mean cost of the slots actually chosen; coefficient 0: a statistic).
/// </summary>
/// <remarks>
/// With a fixed λ the gradient does not depend on the budget (it only shifts the value). With
/// <see cref="LambdaRate"/> &gt; 0, λ is the Lagrange multiplier of the equality constraint E[cost] = budget:
/// after each optimizer step <c>λ ← λ + rate·(realized − budget)</c>, realized being the mean cost of the chosen
/// slots over the training calls since the last step. λ may turn negative (an under-spending router is pushed
/// back up), so the router settles at the budget and comparisons are at equal average compute.
/// λ is not part of a checkpoint: a resumed run starts again from the initial λ.
/// </remarks>
public sealed class BudgetPenalty : IBalancer
{
    readonly float[] _costs;
    double _costSum;
    long _items;

    /// <summary>Creates the penalty for slots of the given <paramref name="costs"/>.</summary>
    /// <exception cref="ArgumentException">No slot, or a cost is negative or not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException">λ or the budget is not finite, or the rate is negative or not finite.</exception>
    public BudgetPenalty(ReadOnlySpan<float> costs, float budget, float lambda, float lambdaRate = 0f)
    {
        if (costs.IsEmpty) throw new ArgumentException("needs at least one slot cost", nameof(costs));
        foreach (float c in costs)
            if (!(c >= 0) || !float.IsFinite(c)) throw new ArgumentException($"slot costs must be finite and ≥ 0, found {c}", nameof(costs));
        if (!float.IsFinite(budget)) throw new ArgumentOutOfRangeException(nameof(budget), budget, "must be finite");
        if (!float.IsFinite(lambda)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "must be finite");
        if (!(lambdaRate >= 0) || !float.IsFinite(lambdaRate)) throw new ArgumentOutOfRangeException(nameof(lambdaRate), lambdaRate, "must be ≥ 0");
        _costs = costs.ToArray();
        Budget = budget;
        Lambda = lambda;
        LambdaRate = lambdaRate;
    }

    /// <summary>Cost weight of each slot (true experts, then null experts).</summary>
    public ReadOnlySpan<float> Costs => _costs;

    /// <summary>The target mean cost per token.</summary>
    public float Budget { get; }

    /// <summary>The current multiplier λ.</summary>
    public float Lambda { get; private set; }

    /// <summary>Dual-ascent rate of λ per optimizer step (0 = λ fixed).</summary>
    public float LambdaRate { get; }

    /// <summary>Mean cost of the slots chosen in the last call.</summary>
    public float LastRealizedCost { get; private set; }

    /// <inheritdoc/>
    public string Name => "budget";

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The probabilities have another number of slots than <see cref="Costs"/>.</exception>
    public Var? Loss(Tape tape, in BalancerInput input, RoutingStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(statistics);
        Var p = input.Probabilities;
        int items = p.Shape.Rows, slots = p.Shape.Last;
        if (slots != _costs.Length) throw new ArgumentException($"the penalty has {_costs.Length} slot costs, the router {slots} slots", nameof(input));
        if (items == 0) return null;

        LastRealizedCost = (float)(RealizedCost(input.Plan) / items);
        statistics.AddAuxLoss("realized_cost", LastRealizedCost, 0f);
        if (input.Context.Training)
        {
            _costSum += LastRealizedCost * (double)items;
            _items += items;
        }

        Var c = tape.NewVar(p.Shape, requiresGrad: false);
        Span<float> cv = c.Value.Span;
        for (int t = 0; t < items; t++) _costs.CopyTo(cv.Slice(t * slots, slots));
        Var expected = tape.Scale(tape.Sum(tape.Mul(p, c)), 1f / items);
        Var offset = tape.NewVar(expected.Shape, requiresGrad: false);
        offset.Value.Span[0] = -Budget;
        Var raw = tape.Add(expected, offset);
        statistics.AddAuxLoss(Name, raw.Value.Span[0], Lambda);
        return tape.Scale(raw, Lambda);
    }

    /// <inheritdoc/>
    public void AfterOptimizerStep()
    {
        if (_items == 0) return;
        if (LambdaRate > 0) Lambda = (float)(Lambda + LambdaRate * (_costSum / _items - Budget));
        _costSum = 0;
        _items = 0;
    }

    // Σ over items of the cost of their selected slots: true experts from the selection, null experts from their loads.
    double RealizedCost(RoutingPlan plan)
    {
        double sum = 0;
        foreach (int e in plan.SelectedExpert) sum += _costs[e];
        ReadOnlySpan<int> nulls = plan.NullLoad;
        for (int z = 0; z < nulls.Length; z++) sum += (double)nulls[z] * _costs[plan.Experts + z];
        return sum;
    }
}
