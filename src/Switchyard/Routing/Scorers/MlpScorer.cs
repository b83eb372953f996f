using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Tensors;

namespace Switchyard.Routing.Scorers;

/// <summary>
/// T2MIR's MLP gate (arXiv 2506.05426, reference <c>TopKBalancedNoisyGate(gate_network="mlp")</c>):
/// <c>h = W₂·tanh(W₁·x)</c> with W₁ [E, d] and W₂ [E, E], no biases. In training, noisy gating adds
/// <c>ε·(softplus(x·W_noiseᵀ) + noise_epsilon)</c>, ε ~ N(0, 1), with W_noise [E, d] zero-initialised, so the
/// noise starts at std ln 2 + 0.01 and is learned. The clean logits and the noise std of the last training
/// call stay readable (<see cref="LastNoise"/>) for the smooth load of <see cref="Balancers.CvSquaredLoss"/>.
/// </summary>
/// <remarks>
/// Parameters <c>w1</c>, <c>w2</c> (and <c>noise_weight</c>), registered by the MoE layer under <c>gate</c>.
/// Initial weights are N(0, 1/(3·fan_in)): the variance of PyTorch's <c>nn.Linear</c> default U(±1/√fan_in).
/// </remarks>
public sealed class MlpScorer : Module, IScorer
{
    // softplus(z) = log(1 + e^min(z, 20)): as LinearScorer, past 20 it equals z to float precision.
    const float SoftplusClamp = 20f;
    Tensor? _ones;

    /// <summary>Creates the gate for width <paramref name="modelDim"/> and <paramref name="experts"/> experts.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the noise epsilon is negative.</exception>
    public MlpScorer(int modelDim, int experts, Rng rng, bool noisy = true, float noiseEpsilon = 0.01f)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(modelDim);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        if (!(noiseEpsilon >= 0) || !float.IsFinite(noiseEpsilon)) throw new ArgumentOutOfRangeException(nameof(noiseEpsilon), noiseEpsilon, "must be ≥ 0");
        ModelDim = modelDim;
        Experts = experts;
        NoiseEpsilon = noiseEpsilon;
        W1 = AddParameter(new Parameter("w1", new Shape(experts, modelDim)));
        W2 = AddParameter(new Parameter("w2", new Shape(experts, experts)));
        rng.FillNormal(W1.Value.Span, 1f / MathF.Sqrt(3f * modelDim));
        rng.FillNormal(W2.Value.Span, 1f / MathF.Sqrt(3f * experts));
        if (noisy) NoiseWeight = AddParameter(new Parameter("noise_weight", new Shape(experts, modelDim)));
    }

    /// <summary>Input width d.</summary>
    public int ModelDim { get; }

    /// <inheritdoc/>
    public int Experts { get; }

    /// <inheritdoc/>
    public GateActivation Activation => GateActivation.Softmax;

    /// <summary>The constant added to the learned noise std (reference <c>noise_epsilon</c> = 0.01).</summary>
    public float NoiseEpsilon { get; }

    /// <summary>First layer W₁ [E, d] (<c>w1</c>).</summary>
    public Parameter W1 { get; }

    /// <summary>Second layer W₂ [E, E] (<c>w2</c>).</summary>
    public Parameter W2 { get; }

    /// <summary>W_noise [E, d] (<c>noise_weight</c>, zero-initialised), or null without noisy gating.</summary>
    public Parameter? NoiseWeight { get; }

    /// <summary>
    /// Of the last <see cref="Score"/> call when it added noise: the clean logits [N, E], the noise std [N, E]
    /// (both on the tape) and the standard normal draws ε [N, E]; null when the last call was noiseless.
    /// Valid until the tape is reset.
    /// </summary>
    public NoisyLogits? LastNoise { get; private set; }

    /// <summary>The input x [N, d] of the last <see cref="Score"/> call (valid until the tape is reset), or null before any.</summary>
    public Var? LastInput { get; private set; }

    /// <summary>The clean logits [N, E] of the last <see cref="Score"/> call (T2MIR's router representation), or null before any.</summary>
    public Var? LastClean { get; private set; }

    /// <summary>The clean logits W₂·tanh(W₁·x) [N, E], without noise (what the EMA target of the contrastive loss also computes).</summary>
    /// <exception cref="ShapeMismatchException">x is not [N, d].</exception>
    public Var Clean(Tape tape, Var x)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        if (x.Shape.Rank != 2 || x.Shape[1] != ModelDim)
            throw new ShapeMismatchException("MlpScorer input", $"[N, {ModelDim}]", x.Shape.ToString());
        return tape.Linear(tape.Tanh(tape.Linear(x, W1.Use(tape))), W2.Use(tape));
    }

    /// <inheritdoc/>
    /// <exception cref="ShapeMismatchException">x is not [N, d].</exception>
    public Var Score(Tape tape, Var x, RoutingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Var h = Clean(tape, x);
        LastInput = x;
        LastClean = h;
        LastNoise = null;
        if (!context.Training || NoiseWeight is null) return h;
        Var z = tape.Clamp(tape.Linear(x, NoiseWeight.Use(tape)), float.NegativeInfinity, SoftplusClamp);
        if (_ones is null || _ones.Shape != z.Shape) { _ones = new Tensor(z.Shape); _ones.Span.Fill(1f); }
        Var std = tape.Log(tape.Add(tape.Exp(z), tape.Constant(_ones)));
        if (NoiseEpsilon > 0)
        {
            Tensor eps = tape.Allocate(z.Shape, zero: false);
            eps.Span.Fill(NoiseEpsilon);
            std = tape.Add(std, tape.Constant(eps));
        }
        Tensor noise = tape.Allocate(z.Shape, zero: false);
        context.Rng.FillNormal(noise.Span);
        LastNoise = new NoisyLogits(h, std, noise);
        return tape.Add(h, tape.Mul(std, tape.Constant(noise)));
    }

    /// <summary>Copies this gate's weights into <paramref name="target"/> (same sizes): the EMA target's starting point.</summary>
    /// <exception cref="ArgumentException">The sizes differ.</exception>
    public void CopyTo(MlpScorer target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.ModelDim != ModelDim || target.Experts != Experts)
            throw new ArgumentException($"target gate is [{target.Experts}, {target.ModelDim}], this one [{Experts}, {ModelDim}]", nameof(target));
        W1.Value.Span.CopyTo(target.W1.Value.Span);
        W2.Value.Span.CopyTo(target.W2.Value.Span);
    }
}
