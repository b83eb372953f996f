using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Routing.Selectors;

/// <summary>
/// Top-k whose k follows the training step (SMoE-Dropout, arXiv 2303.01610): at each call
/// k = clamp(<see cref="Schedule"/>(<see cref="RoutingContext.Step"/>), 1, E), or
/// <see cref="EvalK"/> outside training when set ("self-slimming": evaluate at any k). Weights
/// are the selected probabilities renormalised to sum to 1 (= softmax over the selected logits,
/// as the reference), or the raw probabilities. Ties go to the lower expert id. Dropless.
/// </summary>
public sealed class ScheduledTopKSelector : ISelector
{
    float[] _topValues = [];
    int[] _topIndices = [];

    /// <summary>Creates the selector from a schedule of k.</summary>
    /// <exception cref="ArgumentOutOfRangeException">evalK &lt; 0.</exception>
    public ScheduledTopKSelector(ISchedule<int> k, bool normalize = true, int evalK = 0)
    {
        ArgumentNullException.ThrowIfNull(k);
        ArgumentOutOfRangeException.ThrowIfNegative(evalK);
        Schedule = k;
        Normalize = normalize;
        EvalK = evalK;
        K = Math.Max(1, k.At(0, 0));
    }

    /// <summary>k as a function of the step.</summary>
    public ISchedule<int> Schedule { get; }

    /// <summary>Renormalise the selected probabilities to sum to 1.</summary>
    public bool Normalize { get; }

    /// <summary>k used when not training (0 = the schedule's value at the context's step).</summary>
    public int EvalK { get; }

    /// <summary>The k of the last call (before any call: the schedule's start).</summary>
    public int K { get; private set; }

    /// <inheritdoc/>
    public bool IsCausal => true;

    /// <inheritdoc/>
    public GateSpec Gate => new(Normalize ? GateWeighting.Normalized : GateWeighting.Probability);

    /// <summary>The k this selector uses for <paramref name="context"/> over <paramref name="experts"/> experts.</summary>
    public int KFor(RoutingContext context, int experts)
    {
        ArgumentNullException.ThrowIfNull(context);
        int k = !context.Training && EvalK > 0 ? EvalK : Schedule.At(context.Step, context.TotalSteps);
        return Math.Clamp(k, 1, experts);
    }

    /// <inheritdoc/>
    public void Select(Tensor probabilities, RoutingContext context, RoutingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(plan);
        int items = plan.Items, experts = plan.Slots, k = KFor(context, experts);
        K = k;
        if (_topValues.Length < items * k) { _topValues = new float[Math.Max(64, 2 * items * k)]; _topIndices = new int[_topValues.Length]; }
        Span<int> idx = _topIndices.AsSpan(0, items * k);
        ReadOnlySpan<float> p = probabilities.Span;
        TopK.Rows(p, items, experts, k, idx, _topValues.AsSpan(0, items * k));
        for (int i = 0; i < items; i++)
            for (int j = 0; j < k; j++)
            {
                int e = idx[i * k + j];
                plan.Add(i, e, p[i * experts + e]);
            }
    }
}
