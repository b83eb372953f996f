using Switchyard.Tensors;

namespace Switchyard.Routing.Selectors;

/// <summary>
/// Uniformly random expert selection, ignoring the scores (THOR, arXiv 2110.04260, shared/specs/token-routers.md §4):
/// one expert per token, per sequence or per call (<see cref="RandomGranularity"/>), drawn from
/// <see cref="RoutingContext.Rng"/> (deterministic for a seed; two forward passes draw independently),
/// weight a constant 1: no gradient flows through routing. Training and evaluation may use different
/// granularities (the reference trains per batch and infers per token).
/// </summary>
public sealed class RandomSelector : ISelector
{
    /// <summary>Creates the selector.</summary>
    public RandomSelector(RandomGranularity training = RandomGranularity.Batch, RandomGranularity evaluation = RandomGranularity.Token)
    {
        Training = training;
        Evaluation = evaluation;
    }

    /// <summary>Granularity of the draws while training.</summary>
    public RandomGranularity Training { get; }

    /// <summary>Granularity of the draws while evaluating or generating.</summary>
    public RandomGranularity Evaluation { get; }

    /// <inheritdoc/>
    public int K => 1;

    /// <inheritdoc/>
    public bool IsCausal => true;

    /// <inheritdoc/>
    public GateSpec Gate => new(GateWeighting.Constant);

    /// <inheritdoc/>
    public void Select(Tensor probabilities, RoutingContext context, RoutingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(plan);
        int items = plan.Items, experts = plan.Experts;
        RandomGranularity g = context.Training ? Training : Evaluation;
        // Items of one draw: 1 (token), a sequence, or all (batch); a ragged or unknown layout is one sequence.
        int span = g switch
        {
            RandomGranularity.Token => 1,
            RandomGranularity.Sequence when context.SequenceLength > 0 && items % context.SequenceLength == 0 => context.SequenceLength,
            _ => Math.Max(1, items),
        };
        int e = 0;
        for (int i = 0; i < items; i++)
        {
            if (i % span == 0) e = context.Rng.NextInt(experts);
            plan.Add(i, e, 1f);
        }
    }
}
