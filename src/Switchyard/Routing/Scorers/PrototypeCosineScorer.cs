using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Routing.Pools;
using Switchyard.Tensors;

namespace Switchyard.Routing.Scorers;

/// <summary>
/// ProMoE's prototypical routing (arXiv 2510.24711, shared/specs/token-routers.md §8): one learnable prototype
/// p_e ∈ R^d per expert, scores <c>s_{t,e} = cos(x_t, p_e) / τ</c>. Cosine scores lie in [−1/τ, 1/τ]: without a
/// temperature (τ = 1) the softmax over E experts stays near uniform (the spec's pitfall), hence τ &lt; 1.
/// With <see cref="Pools"/>, experts an item's pool does not allow are masked before the softmax (role split).
/// </summary>
/// <remarks>
/// A <see cref="Module"/> with one parameter, <c>prototypes</c> [E, d] (registered under the MoE layer's <c>gate</c>),
/// initialised N(0, 1): cosine ignores the norm. Computed as rows normalised by <c>RmsNorm</c> (·1/√d) and one
/// <c>Linear</c>, so the gradient reaches both the tokens and the prototypes.
/// </remarks>
public sealed class PrototypeCosineScorer : Module, IScorer
{
    // RmsNorm's eps under the mean: x/√(Σx² + d·eps). Small enough to be exact cosine for any non-zero row.
    const float Eps = 1e-12f;
    readonly Tensor _ones;

    /// <summary>Creates E prototypes of width d with temperature <paramref name="tau"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or τ is not positive and finite.</exception>
    public PrototypeCosineScorer(int modelDim, int experts, float tau, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(modelDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        if (!(tau > 0 && float.IsFinite(tau))) throw new ArgumentOutOfRangeException(nameof(tau), tau, "must be positive and finite");
        ModelDim = modelDim;
        Experts = experts;
        Tau = tau;
        Prototypes = AddParameter(new Parameter("prototypes", new Shape(experts, modelDim)));
        rng.FillNormal(Prototypes.Value.Span, 1f);
        _ones = new Tensor(new Shape(modelDim));
        _ones.Span.Fill(1f);
    }

    /// <summary>Input width d.</summary>
    public int ModelDim { get; }

    /// <inheritdoc/>
    public int Experts { get; }

    /// <summary>The temperature τ.</summary>
    public float Tau { get; }

    /// <summary>The prototypes p [E, d] (<c>prototypes</c>).</summary>
    public Parameter Prototypes { get; }

    /// <summary>Candidate mask applied before the softmax, or null (every expert is a candidate).</summary>
    public IExpertPools? Pools { get; init; }

    /// <inheritdoc/>
    public GateActivation Activation => GateActivation.Softmax;

    /// <inheritdoc/>
    /// <exception cref="ShapeMismatchException">x is not [N, d].</exception>
    public Var Score(Tape tape, Var x, RoutingContext context)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(context);
        if (x.Shape.Rank != 2 || x.Shape[1] != ModelDim)
            throw new ShapeMismatchException("PrototypeCosineScorer input", $"[N, {ModelDim}]", x.Shape.ToString());
        Var s = Cosine(tape, x, Prototypes.Use(tape), tape.Constant(_ones), Tau);
        return Pools is null ? s : PoolMask.Apply(tape, s, Pools, context);
    }

    /// <summary>cos(x_t, p_e)/τ [N, E] for x [N, d] and p [E, d]: both normalised by RmsNorm(·, 1)/√d, then x̂·p̂ᵀ/τ.</summary>
    internal static Var Cosine(Tape tape, Var x, Var prototypes, Var ones, float tau)
    {
        float inv = 1f / MathF.Sqrt(x.Shape[1]);
        Var xh = tape.RmsNorm(x, ones, Eps);
        Var ph = tape.RmsNorm(prototypes, ones, Eps);
        return tape.Scale(tape.Linear(xh, ph), inv * inv / tau);
    }
}
