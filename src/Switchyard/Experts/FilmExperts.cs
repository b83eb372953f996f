using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Nn.Layers;
using Switchyard.Routing;
using Switchyard.Tensors;

namespace Switchyard.Experts;

/// <summary>
/// MoFME's feature-modulated experts (arXiv 2312.16610; shared/specs/token-routers.md §12): one
/// shared SwiGLU trunk h = FFN(x), computed once per token, and E experts that are only FiLM pairs
/// (γ_e, β_e) ∈ R^d, y_e = γ_e ⊙ h + β_e. With the layer's combine the output is
/// y = Σ_{e∈TopK} w_e (γ_e ⊙ h + β_e) = (Σ w_e γ_e) ⊙ h + Σ w_e β_e, so k experts cost one FFN plus O(k·d).
/// γ starts at 1 and β at 0 (every expert is the trunk), neither is weight-decayed.
/// </summary>
/// <remarks>
/// <para>Dispatch is a gather of modulations: row j of the plan gets γ[plan.Expert[j]] and β[plan.Expert[j]]
/// (two <c>IndexSelect</c>s), one multiply and one add, no per-expert FFN. Children: <c>trunk</c>
/// (<c>gate_proj</c>, <c>up_proj</c>, <c>down_proj</c>), parameters <c>film_gamma</c> [E, d] and <c>film_beta</c> [E, d].</para>
/// <para>Because the output is linear in (γ, β), the k selected experts act as one effective modulation; their
/// diversity shows in <see cref="GammaVariance"/> (the spec's pitfall to monitor).</para>
/// </remarks>
public sealed class FilmExperts : Module, ITrunkExpertSet
{
    /// <summary>Creates the trunk (N(0, initStd²) weights) and E identity modulations.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public FilmExperts(int modelDim, int experts, int trunkWidth, Rng rng, float initStd = 0.02f)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(modelDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trunkWidth);
        ModelDim = modelDim;
        Experts = experts;
        TrunkWidth = trunkWidth;
        TrunkMlp = AddModule("trunk", new SwiGluMlp(modelDim, trunkWidth, rng, initStd));
        // Decay would pull γ towards 0, not towards its identity value 1.
        Gamma = AddParameter(new Parameter("film_gamma", new Shape(experts, modelDim)) { WeightDecay = false });
        Gamma.Value.Span.Fill(1f);
        Beta = AddParameter(new Parameter("film_beta", new Shape(experts, modelDim)) { WeightDecay = false });
    }

    /// <inheritdoc/>
    public int Experts { get; }

    /// <inheritdoc/>
    public int ModelDim { get; }

    /// <summary>Inner width of the shared trunk.</summary>
    public int TrunkWidth { get; }

    /// <summary>The shared trunk.</summary>
    public SwiGluMlp TrunkMlp { get; }

    /// <summary>Scales γ [E, d].</summary>
    public Parameter Gamma { get; }

    /// <summary>Shifts β [E, d].</summary>
    public Parameter Beta { get; }

    /// <inheritdoc/>
    public long TrunkFlopsPerToken => 2L * 3 * ModelDim * TrunkWidth;

    /// <inheritdoc/>
    public long TrunkParameters => 3L * ModelDim * TrunkWidth;

    /// <inheritdoc/>
    public long FlopsPerRow(int expert) => 2L * ModelDim;

    /// <inheritdoc/>
    public long ParametersPerRow(int expert) => 2L * ModelDim;

    /// <inheritdoc/>
    public Var Trunk(Tape tape, Var x) => TrunkMlp.Forward(tape, x);

    /// <inheritdoc/>
    /// <exception cref="ShapeMismatchException">rows is not [plan.Count, d] or the plan has another number of experts.</exception>
    public Var Forward(Tape tape, Var rows, RoutingPlan plan)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(plan);
        ShapeMismatchException.ThrowIf(rows.Shape != new Shape(plan.Count, ModelDim), "FilmExperts rows", new Shape(plan.Count, ModelDim), rows.Shape);
        if (plan.Experts != Experts)
            throw new ShapeMismatchException("FilmExperts plan", $"{Experts} experts", $"{plan.Experts} experts");
        Var gamma = tape.IndexSelect(Gamma.Use(tape), plan.Expert);
        Var beta = tape.IndexSelect(Beta.Use(tape), plan.Expert);
        return tape.Add(tape.Mul(gamma, rows), beta);
    }

    /// <summary>Mean over features c of the variance of γ_e[c] across experts e: 0 while every expert is the same modulation.</summary>
    public double GammaVariance()
    {
        ReadOnlySpan<float> g = Gamma.Value.Span;
        int d = ModelDim;
        double total = 0;
        for (int c = 0; c < d; c++)
        {
            double mean = 0, sq = 0;
            for (int e = 0; e < Experts; e++) mean += g[e * d + c];
            mean /= Experts;
            for (int e = 0; e < Experts; e++) { double v = g[e * d + c] - mean; sq += v * v; }
            total += sq / Experts;
        }
        return total / d;
    }
}
