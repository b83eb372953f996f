using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Routing.Selectors;

/// <summary>
/// Expert choice (arXiv 2202.09368): each expert takes the C items with the highest
/// probability for it, C = ceil(N·c/E) (at most N), weight = that probability; ties to the
/// lower item. Perfect balance by construction, 0..E experts per item. NOT causal: an item's
/// routing depends on the other items of the batch (evaluate with the training batch shape).
/// </summary>
public sealed class ExpertChoiceSelector : ISelector
{
    float[] _columns = [], _topValues = [];
    int[] _topIndices = [];

    /// <summary>Creates the selector with capacity factor <paramref name="capacityFactor"/> (paper default 2).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The factor is not positive.</exception>
    public ExpertChoiceSelector(float capacityFactor = 2f)
    {
        if (!(capacityFactor > 0) || !float.IsFinite(capacityFactor))
            throw new ArgumentOutOfRangeException(nameof(capacityFactor), capacityFactor, "must be > 0");
        CapacityFactor = capacityFactor;
    }

    /// <summary>The capacity factor c: on average c experts per item.</summary>
    public float CapacityFactor { get; }

    /// <inheritdoc/>
    public int K => Math.Max(1, (int)MathF.Round(CapacityFactor));

    /// <inheritdoc/>
    public bool IsCausal => false;

    /// <inheritdoc/>
    public GateSpec Gate => new(GateWeighting.Probability);

    /// <summary>Items each expert takes: ceil(N·c/E), at most N.</summary>
    public int CapacityFor(int items, int experts) => Math.Min(items, (int)Math.Ceiling((double)items * CapacityFactor / experts));

    /// <inheritdoc/>
    public void Select(Tensor probabilities, RoutingContext context, RoutingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(plan);
        int items = plan.Items, experts = plan.Experts, c = CapacityFor(items, experts);
        if (c == 0) return;
        ReadOnlySpan<float> p = probabilities.Span;
        Grow(ref _columns, items * experts);
        Span<float> cols = _columns.AsSpan(0, items * experts);
        for (int i = 0; i < items; i++)
            for (int e = 0; e < experts; e++) cols[e * items + i] = p[i * experts + e];
        Grow(ref _topValues, experts * c);
        Grow(ref _topIndices, experts * c);
        Span<int> idx = _topIndices.AsSpan(0, experts * c);
        TopK.Rows(cols, experts, items, c, idx, _topValues.AsSpan(0, experts * c));
        for (int e = 0; e < experts; e++)
            for (int j = 0; j < c; j++)
            {
                int i = idx[e * c + j];
                plan.Add(i, e, p[i * experts + e]);
            }
    }

    static void Grow<T>(ref T[] a, int size)
    {
        if (a.Length < size) a = new T[Math.Max(size, a.Length * 2)];
    }
}
