using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Tensors;

namespace Switchyard.Routing.Scorers;

/// <summary>
/// The linear gate h = x·W_gᵀ, no bias, W_g stored [E, d] as Hugging Face's <c>gate.weight</c>
/// (shared/specs/baselines.md §1). Training-only options: Switch jitter (the input is multiplied
/// by U(1−ε, 1+ε) elementwise) and Shazeer noisy gating (h += N(0,1)·softplus(x·W_noiseᵀ)).
/// Router math stays in float32.
/// </summary>
/// <remarks>
/// A <see cref="Module"/> with parameter <c>weight</c> (and <c>noise_weight</c> when noisy): the
/// MoE layer registers it as its child <c>gate</c>, giving HF names such as <c>mlp.gate.weight</c>.
/// Freeze it with <see cref="Parameter.Trainable"/>.
/// </remarks>
public sealed class LinearScorer : Module, IScorer
{
    // softplus(z) = log(1 + e^z) is evaluated as log(1 + e^min(z, 20)): past 20 it equals z to
    // float precision, and the clamp keeps e^z finite (its gradient there is 0 instead of 1).
    const float SoftplusClamp = 20f;
    Tensor? _ones;

    /// <summary>Creates the gate with W ~ N(0, <paramref name="initStd"/>²) (and W_noise = 0 when <paramref name="noisy"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or a std/jitter is negative.</exception>
    public LinearScorer(int modelDim, int experts, Rng rng, float initStd = 0.02f, GateActivation activation = GateActivation.Softmax,
        float jitter = 0f, bool noisy = false)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(modelDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        ArgumentOutOfRangeException.ThrowIfNegative(initStd);
        if (!(jitter is >= 0f and < 1f)) throw new ArgumentOutOfRangeException(nameof(jitter), jitter, "must be in [0, 1)");
        ModelDim = modelDim;
        Experts = experts;
        Activation = activation;
        Jitter = jitter;
        Weight = AddParameter(new Parameter("weight", new Shape(experts, modelDim)));
        if (initStd > 0) rng.FillNormal(Weight.Value.Span, initStd);
        if (noisy) NoiseWeight = AddParameter(new Parameter("noise_weight", new Shape(experts, modelDim)));
    }

    /// <summary>Input width d.</summary>
    public int ModelDim { get; }

    /// <inheritdoc/>
    public int Experts { get; }

    /// <inheritdoc/>
    public GateActivation Activation { get; }

    /// <summary>Switch jitter ε (training only); 0 = off.</summary>
    public float Jitter { get; }

    /// <summary>The gate W_g, [E, d] (<c>weight</c>).</summary>
    public Parameter Weight { get; }

    /// <summary>W_noise [E, d] for noisy gating (<c>noise_weight</c>, zero-initialised), or null.</summary>
    public Parameter? NoiseWeight { get; }

    /// <inheritdoc/>
    /// <exception cref="ShapeMismatchException">x is not [N, d].</exception>
    public Var Score(Tape tape, Var x, RoutingContext context)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(context);
        if (x.Shape.Rank != 2 || x.Shape[1] != ModelDim)
            throw new ShapeMismatchException("LinearScorer input", $"[N, {ModelDim}]", x.Shape.ToString());
        if (context.Training && Jitter > 0)
        {
            Tensor u = tape.Allocate(x.Shape, zero: false);
            context.Rng.FillUniform(u.Span, 1f - Jitter, 1f + Jitter);
            x = tape.Mul(x, tape.Constant(u));
        }
        Var h = tape.Linear(x, Weight.Use(tape));
        if (context.Training && NoiseWeight is not null)
        {
            Var z = tape.Clamp(tape.Linear(x, NoiseWeight.Use(tape)), float.NegativeInfinity, SoftplusClamp);
            if (_ones is null || _ones.Shape != z.Shape) { _ones = new Tensor(z.Shape); _ones.Span.Fill(1f); }
            Var softplus = tape.Log(tape.Add(tape.Exp(z), tape.Constant(_ones)));
            Tensor noise = tape.Allocate(z.Shape, zero: false);
            context.Rng.FillNormal(noise.Span);
            h = tape.Add(h, tape.Mul(softplus, tape.Constant(noise)));
        }
        return h;
    }
}
