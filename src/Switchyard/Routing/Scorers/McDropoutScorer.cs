using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Tensors;

namespace Switchyard.Routing.Scorers;

/// <summary>
/// An uncertainty-aware router as Monte-Carlo dropout (MoFME's UaR, arXiv 2312.16610, as
/// shared/specs/token-routers.md §12 reads it): the inner scorer runs on M copies of the router
/// input, each with its own inverted-dropout mask (keep probability 1 − p, kept entries scaled by
/// 1/(1 − p)), and the routing probabilities are the mean of the M softmaxes. Training draws
/// <see cref="TrainSamples"/> masks (default one) from <see cref="RoutingContext.Rng"/>; evaluation
/// draws <see cref="Samples"/> masks from a generator reset to <see cref="Seed"/> (mixed with the layer)
/// at every call, so an evaluation is a deterministic function of its input.
/// </summary>
/// <remarks>
/// <para>The scores returned are logits whose softmax is that mean: with one sample the inner logits
/// themselves, with M &gt; 1 log(mean softmax) (softmax(log q) = q because Σ q = 1). The router's usual
/// softmax → selector → gates path therefore needs no change. Everything is on the tape, so gradients
/// reach the inner scorer through every sample.</para>
/// <para>UaR's internals are not verified (the spec treats it as a calibration wrapper); the optional
/// uncertainty-scaled temperature of the spec is not implemented.</para>
/// <para>A <see cref="Module"/> holding the inner scorer's own parameters and children, so an MoE layer
/// registers them under <c>gate</c> exactly as for the bare inner scorer (<c>gate.weight</c>).</para>
/// </remarks>
public sealed class McDropoutScorer : Module, IScorer
{
    readonly Rng _evalRng = new(0);

    /// <summary>Wraps <paramref name="inner"/> (a softmax scorer).</summary>
    /// <exception cref="ArgumentOutOfRangeException">p is not in [0, 1), a sample count is below 1, or the inner scorer is not a softmax scorer.</exception>
    public McDropoutScorer(IScorer inner, float p, int samples, int trainSamples = 1, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!(p is >= 0f and < 1f)) throw new ArgumentOutOfRangeException(nameof(p), p, "the dropout probability must be in [0, 1)");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(samples);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trainSamples);
        if (inner.Activation != GateActivation.Softmax)
            throw new ArgumentOutOfRangeException(nameof(inner), inner.Activation, "MC-dropout averages softmax probabilities: the inner scorer must be a softmax scorer");
        Inner = inner;
        P = p;
        Samples = samples;
        TrainSamples = trainSamples;
        Seed = seed;
        if (inner is Module m)
        {
            foreach (Parameter parameter in m.OwnParameters) AddParameter(parameter);
            foreach (var (name, child) in m.Children) AddModule(name, child);
        }
    }

    /// <summary>The scorer whose input is dropped out.</summary>
    public IScorer Inner { get; }

    /// <summary>Dropout probability p of each router-input entry.</summary>
    public float P { get; }

    /// <summary>Masks M averaged when evaluating.</summary>
    public int Samples { get; }

    /// <summary>Masks averaged while training (the spec: one).</summary>
    public int TrainSamples { get; }

    /// <summary>Seed of the evaluation masks.</summary>
    public ulong Seed { get; }

    /// <inheritdoc/>
    public int Experts => Inner.Experts;

    /// <inheritdoc/>
    public GateActivation Activation => GateActivation.Softmax;

    /// <inheritdoc/>
    public Var Score(Tape tape, Var x, RoutingContext context)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(context);
        int m = context.Training ? TrainSamples : Samples;
        Rng rng = context.Rng;
        if (!context.Training)
        {
            _evalRng.State = new Rng(Seed ^ (0x9E3779B97F4A7C15UL * (ulong)(context.Layer + 1))).State;
            rng = _evalRng;
        }
        if (m == 1) return Inner.Score(tape, Drop(tape, x, rng), context);
        Var? sum = null;
        for (int s = 0; s < m; s++)
        {
            Var probs = tape.Softmax(Inner.Score(tape, Drop(tape, x, rng), context));
            sum = sum is null ? probs : tape.Add(sum, probs);
        }
        return tape.Log(tape.Scale(sum!, 1f / m));
    }

    // Inverted dropout: u ~ U[0, 1) per entry, kept when u ≥ p and scaled by 1/(1 − p), so E[mask] = 1.
    Var Drop(Tape tape, Var x, Rng rng)
    {
        if (P == 0f) return x;
        Tensor mask = tape.Allocate(x.Shape, zero: false);
        Span<float> span = mask.Span;
        rng.FillUniform(span, 0f, 1f);
        float keep = 1f / (1f - P);
        for (int i = 0; i < span.Length; i++) span[i] = span[i] >= P ? keep : 0f;
        return tape.Mul(x, tape.Constant(mask));
    }
}
