using Switchyard.Autograd;

namespace Switchyard.Routing.Balancers;

/// <summary>
/// DeepSeek-V3 auxiliary-loss-free balancing (arXiv 2408.15664, 2412.19437): counts the
/// assignments c_i of each expert over the training calls since the last optimizer step, then
/// <c>b_i ← b_i + γ·sign(c̄ − c_i)</c>: overloaded experts become less attractive. The bias is
/// used only for selection (<see cref="Selectors.TopKSelector.Bias"/>). Adds no loss.
/// </summary>
public sealed class BiasUpdateBalancer : IBalancer
{
    readonly long[] _counts;
    bool _any;

    /// <summary>Updates <paramref name="bias"/> with rate <paramref name="gamma"/> (DeepSeek-V3 0.001).</summary>
    /// <exception cref="ArgumentOutOfRangeException">gamma is negative or not finite.</exception>
    public BiasUpdateBalancer(ExpertBias bias, float gamma = 0.001f)
    {
        ArgumentNullException.ThrowIfNull(bias);
        if (!(gamma >= 0) || !float.IsFinite(gamma)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "must be ≥ 0");
        Bias = bias;
        Gamma = gamma;
        _counts = new long[bias.Experts];
    }

    /// <summary>The bias this balancer updates.</summary>
    public ExpertBias Bias { get; }

    /// <summary>The update rate γ.</summary>
    public float Gamma { get; }

    /// <inheritdoc/>
    public string Name => "bias_update";

    /// <summary>Assignments per expert counted since the last update.</summary>
    public ReadOnlySpan<long> Counts => _counts;

    /// <inheritdoc/>
    public Var? Loss(Tape tape, in BalancerInput input, RoutingStatistics statistics)
    {
        if (!input.Context.Training) return null;
        foreach (int e in input.Plan.SelectedExpert) _counts[e]++;
        _any = true;
        return null;
    }

    /// <inheritdoc/>
    public void AfterOptimizerStep()
    {
        if (!_any) return;
        double mean = 0;
        foreach (long c in _counts) mean += c;
        mean /= _counts.Length;
        float[] b = Bias.Values;
        for (int e = 0; e < _counts.Length; e++) b[e] += Gamma * Math.Sign(mean - _counts[e]);
        Array.Clear(_counts);
        _any = false;
    }
}
